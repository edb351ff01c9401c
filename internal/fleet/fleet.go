// Package fleet runs a CI fleet against one PostgreSQL state store: many
// `pipeline` processes, each in a checkout of its own as on separate CI
// machines, build, test, release and deploy several components through
// three environments; other processes approve their production gates and
// resume them, some roll back. Meanwhile faults are injected: PostgreSQL is
// restarted with pg_ctl restart -m fast and processes are killed with
// SIGKILL (and then resumed). Afterwards the store's invariants are checked
// (engine/statecheck) and the throughput and lock waits are reported.
//
// It drives the real binary, a real PostgreSQL server of its own
// (internal/pgtest) and real git checkouts; steps run on the local runner
// so that the load is on the state store, which is what the fleet proves.
package fleet

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/release"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/postgres"
	"github.com/pipeline-cd/pipeline/engine/statecheck"
	"github.com/pipeline-cd/pipeline/internal/gittest"
	"github.com/pipeline-cd/pipeline/internal/pgtest"
	"github.com/pipeline-cd/pipeline/internal/proc"
)

// Config sizes a fleet run.
type Config struct {
	Binary     string // the pipeline CLI
	Procs      int    // concurrent workers, each a CI machine with its own checkout
	Components int    // pipelines (monorepo directories)
	Iterations int    // delivery runs per worker
	Restarts   int    // PostgreSQL restarts during the run
	Kills      int    // pipeline processes killed with SIGKILL during the run
	Seed       int64
}

// Report is what a fleet run measured and found.
type Report struct {
	Config
	Wall                 time.Duration
	Processes            int // pipeline invocations
	Deliveries           int // runs that reached production
	Superseded           int // runs refused because another worker's newer release was already live
	Rollbacks            int
	Deployments          int
	Restarted, Killed    int
	Retries              int // state store retries the processes logged
	LockWaitP50          time.Duration
	LockWaitP95          time.Duration
	LockWaitMax          time.Duration
	Check                *statecheck.Report
	Failures             []string
	RunsPerMinute        float64
	DeploymentsPerMinute float64
}

func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fleet: %d processes over %d components, %d deliveries each, %d PostgreSQL restarts, %d kill -9\n",
		r.Procs, r.Components, r.Iterations, r.Restarted, r.Killed)
	fmt.Fprintf(&b, "  wall %s, %d pipeline invocations, %d deliveries to production (%d refused: a newer release was already live), %d rollbacks, %d deployments\n",
		r.Wall.Round(time.Millisecond), r.Processes, r.Deliveries, r.Superseded, r.Rollbacks, r.Deployments)
	fmt.Fprintf(&b, "  throughput: %.1f runs/min, %.1f deployments/min\n", r.RunsPerMinute, r.DeploymentsPerMinute)
	fmt.Fprintf(&b, "  environment lock wait: p50 %s, p95 %s, max %s\n", r.LockWaitP50.Round(time.Millisecond), r.LockWaitP95.Round(time.Millisecond), r.LockWaitMax.Round(time.Millisecond))
	fmt.Fprintf(&b, "  state store retries logged by the processes: %d\n", r.Retries)
	if r.Check != nil {
		fmt.Fprintf(&b, "  invariants: %d runs, %d releases (%d artifacts), %d deployments, %d approvals, %d log lines checked: %d findings\n",
			r.Check.Runs, r.Check.Releases, r.Check.Artifacts, r.Check.Deployments, r.Check.Approvals, r.Check.LogLines, len(r.Check.Findings))
		for _, f := range r.Check.Findings {
			fmt.Fprintf(&b, "    FAIL %s\n", f)
		}
	}
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "  failure: %s\n", f)
	}
	return b.String()
}

func componentConfig(name string) string {
	return fmt.Sprintf(`pipeline %[1]q {
  version = "1.0.${var.build}"
  image   = "busybox"
}

variable "build" {
  type    = string
  default = "0"
}

group "ops" {
  members = ["ops@example.com"]
}

build "app" {
  step "compile" {
    run = "mkdir -p dist && echo %[1]s ${var.build} > dist/app && i=0; while [ $i -lt 20 ]; do echo compile line $i; i=$((i+1)); done"
  }
}

test "unit" {
  step "check" { run = "test -s dist/app && echo tested" }
}

package "app" {
  artifact "bin" { path = "dist/app" }
}

environment "internal" {
  step "rollout" { run = "sleep 0.05; echo deployed ${release.version} to internal" }
}

environment "beta" {
  requires = [environment.internal]
  step "rollout" { run = "sleep 0.05; echo deployed ${release.version} to beta" }
}

environment "production" {
  requires = [environment.beta]
  gate "go-live" { approvers = ["group:ops"] }
  step "rollout" { run = "sleep 0.05; echo deployed ${release.version} to production" }
}
`, name)
}

// fleet is one running fleet.
type fleet struct {
	t         testing.TB
	cfg       Config
	srv       *pgtest.Server
	artifacts string
	logs      string
	rng       *rand.Rand
	rngMu     sync.Mutex

	running    sync.Map // *exec.Cmd -> true: processes that may be killed
	invoked    atomic.Int64
	superseded atomic.Int64 // deliveries refused because a newer release was live
	retries    atomic.Int64
	mu         sync.Mutex
	failures   []string
}

// Run runs a fleet and returns its report; it fails t only for set-up
// errors: broken invariants and failed deliveries are in the report.
func Run(t testing.TB, cfg Config) *Report {
	t.Helper()
	srv := pgtest.Start(t)
	f := &fleet{t: t, cfg: cfg, srv: srv, artifacts: filepath.Join(t.TempDir(), "artifacts"), logs: t.TempDir(),
		rng: rand.New(rand.NewSource(cfg.Seed))}
	origin := gittest.Init(t)
	files := map[string]string{".gitignore": ".pipeline/\ndist/\n"}
	for c := range cfg.Components {
		files[fmt.Sprintf("c%d/pipeline.hcl", c)] = componentConfig(fmt.Sprintf("c%d", c))
	}
	gittest.Commit(t, origin, "fleet components", files)
	clones := make([]string, cfg.Procs)
	for w := range clones {
		clones[w] = filepath.Join(t.TempDir(), "clone")
		gittest.Git(t, filepath.Dir(clones[w]), "clone", "-q", origin, clones[w])
	}

	approvals := make(chan approval, cfg.Procs*cfg.Iterations)
	start := time.Now()
	var workers, approvers sync.WaitGroup
	for w := range cfg.Procs {
		workers.Add(1)
		go func() { defer workers.Done(); f.worker(w, clones[w], approvals) }()
	}
	nApprovers := max(2, cfg.Procs/4)
	deliveries := atomic.Int64{}
	for range nApprovers {
		approvers.Add(1)
		go func() {
			defer approvers.Done()
			for a := range approvals {
				if f.approveAndResume(a) {
					deliveries.Add(1)
				}
			}
		}()
	}
	chaosDone := make(chan struct{})
	var restarted, killed int
	go func() { defer close(chaosDone); restarted, killed = f.chaos(start) }()
	workers.Wait()
	close(approvals)
	approvers.Wait()
	<-chaosDone
	wall := time.Since(start)

	rep := &Report{Config: cfg, Wall: wall, Processes: int(f.invoked.Load()), Deliveries: int(deliveries.Load()),
		Restarted: restarted, Killed: killed, Retries: int(f.retries.Load()), Superseded: int(f.superseded.Load())}
	f.measure(rep)
	rep.Failures = f.failures
	return rep
}

type approval struct {
	runID, dir string
}

// pipeline runs the binary in dir with the fleet's store and waits; the
// process may be killed by the chaos goroutine when killable.
func (f *fleet) pipeline(dir string, killable bool, args ...string) (code int, out string) {
	f.invoked.Add(1)
	logf, err := os.CreateTemp(f.logs, "out-")
	if err != nil {
		f.fail("creating an output file: %v", err)
		return -1, ""
	}
	defer logf.Close()
	cmd := exec.Command(f.cfg.Binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PIPELINE_STATE="+f.srv.URL, "PIPELINE_ARTIFACTS="+f.artifacts, "NO_COLOR=1", "CI=true")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		f.fail("starting pipeline: %v", err)
		return -1, ""
	}
	if killable {
		f.running.Store(cmd, logf.Name())
	}
	err = cmd.Wait()
	f.running.Delete(cmd)
	b, _ := os.ReadFile(logf.Name())
	out = string(b)
	f.retries.Add(int64(strings.Count(out, "the state store did not answer; retrying")))
	if err == nil {
		return 0, out
	}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal()), out
		}
		return ee.ExitCode(), out
	}
	return -1, out
}

func (f *fleet) fail(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
}

// runIDOf returns the run id a pipeline process printed ("run r-..."); log
// lines may come before it on the shared output.
func runIDOf(out string) string {
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "run" && strings.HasPrefix(fields[1], "r-") {
			return fields[1]
		}
	}
	return ""
}

// superseded reports a delivery the engine refused because a newer release
// of the component is already live there: another worker's later build
// won the race, and deploying the older one would go backwards.
func superseded(out string) bool { return strings.Contains(out, "a newer release is already live") }

const lockWait = "--wait-lock=5m"

// worker delivers Iterations releases of random components from its own
// checkout: a run to the production gate (resumed after a kill), handed to
// an approver; every second iteration also a rollback of beta.
func (f *fleet) worker(w int, dir string, approvals chan<- approval) {
	rng := rand.New(rand.NewSource(f.cfg.Seed + int64(w)*7919))
	for i := range f.cfg.Iterations {
		comp := fmt.Sprintf("c%d", rng.Intn(f.cfg.Components))
		args := []string{"-C", comp, "run", "--runner", "local", "--plain", lockWait, "-var", fmt.Sprintf("build=w%d-%d", w, i)}
		code, out := f.pipeline(dir, true, args...)
		id := runIDOf(out)
		for tries := 0; code < 0 && id != "" && tries < 5; tries++ {
			code, out = f.pipeline(dir, true, "resume", id, "--runner", "local", "--plain", lockWait)
		}
		if code == 1 && superseded(out) {
			f.superseded.Add(1)
			continue
		}
		if code != 3 || id == "" {
			f.fail("worker %d: pipeline %s exited %d (run %q):\n%s", w, strings.Join(args, " "), code, id, tail(out))
			continue
		}
		approvals <- approval{runID: id, dir: dir}
		if i%2 == 1 {
			code, out := f.pipeline(dir, false, "-C", comp, "rollback", "beta", "--runner", "local", "--plain", lockWait)
			if code != 0 && !strings.Contains(out, "no rollback target") && !strings.Contains(out, "already live") {
				f.fail("worker %d: rollback beta of %s exited %d:\n%s", w, comp, code, tail(out))
			}
		}
	}
}

// approveAndResume approves a run's production gate as another process
// would and resumes the run; it reports whether production was deployed.
func (f *fleet) approveAndResume(a approval) bool {
	if code, out := f.pipeline(a.dir, false, "approve", a.runID, "go-live", "--as", "ops@example.com"); code != 0 {
		f.fail("approve %s exited %d:\n%s", a.runID, code, tail(out))
		return false
	}
	code, out := f.pipeline(a.dir, true, "resume", a.runID, "--runner", "local", "--plain", lockWait)
	for tries := 0; code < 0 && tries < 5; tries++ {
		code, out = f.pipeline(a.dir, true, "resume", a.runID, "--runner", "local", "--plain", lockWait)
	}
	if code == 1 && superseded(out) {
		f.superseded.Add(1)
		return false
	}
	if code != 0 {
		f.fail("resume %s after approval exited %d:\n%s", a.runID, code, tail(out))
		return false
	}
	return true
}

// chaos restarts PostgreSQL Restarts times and kills Kills processes at
// random moments while the workers run.
func (f *fleet) chaos(start time.Time) (restarted, killed int) {
	events := make([]string, 0, f.cfg.Restarts+f.cfg.Kills)
	for range f.cfg.Restarts {
		events = append(events, "restart")
	}
	for range f.cfg.Kills {
		events = append(events, "kill")
	}
	f.rngMu.Lock()
	f.rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	f.rngMu.Unlock()
	for _, ev := range events {
		time.Sleep(time.Duration(400+f.randn(800)) * time.Millisecond)
		switch ev {
		case "restart":
			if err := f.srv.Restart(); err != nil {
				f.fail("pg_ctl restart: %v", err)
				continue
			}
			restarted++
		case "kill":
			if f.killOne() {
				killed++
			}
		}
	}
	return restarted, killed
}

func (f *fleet) randn(n int) int {
	f.rngMu.Lock()
	defer f.rngMu.Unlock()
	return f.rng.Intn(n)
}

// killOne kills a random running pipeline process that has printed its
// run id (so that it can be resumed), waiting up to 10s for one.
func (f *fleet) killOne() bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var cands []*exec.Cmd
		f.running.Range(func(k, v any) bool {
			if b, err := os.ReadFile(v.(string)); err == nil && runIDOf(string(b)) != "" {
				cands = append(cands, k.(*exec.Cmd))
			}
			return true
		})
		if len(cands) > 0 {
			cmd := cands[f.randn(len(cands))]
			if cmd.Process != nil && cmd.Process.Signal(syscall.SIGKILL) == nil {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// measure reads the store: deployments, lock waits (from each deploy
// node's start to its deployment record, which is made once the lock is
// held) and the invariants.
func (f *fleet) measure(rep *Report) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, f.srv.URL, nil)
	if err != nil {
		f.fail("opening the store to check it: %v", err)
		return
	}
	defer s.Close()
	host, _ := os.Hostname()
	rep.Check, err = statecheck.Check(ctx, s, statecheck.Options{Artifacts: &release.CAS{Root: f.artifacts},
		Host: host, Alive: proc.Alive, RequireFinal: true, Logs: true})
	if err != nil {
		f.fail("checking the store: %v", err)
	}
	var waits []time.Duration
	pipelines, _ := s.Pipelines(ctx)
	for _, p := range pipelines {
		deps, err := s.ListDeployments(ctx, state.DeploymentFilter{Pipeline: p})
		if err != nil {
			f.fail("listing deployments: %v", err)
			return
		}
		starts := map[string]time.Time{}
		for _, d := range deps {
			rep.Deployments++
			if d.Kind == state.DeployKindRollback {
				rep.Rollbacks++
			}
			key := d.RunID + "/environment." + d.Environment
			if _, ok := starts[key]; !ok {
				nodes, err := s.Nodes(ctx, d.RunID)
				if err != nil {
					f.fail("reading nodes: %v", err)
					return
				}
				for _, n := range nodes {
					starts[d.RunID+"/"+n.NodeID] = n.StartedAt
				}
			}
			if st := starts[key]; !st.IsZero() && !d.StartedAt.Before(st) {
				waits = append(waits, d.StartedAt.Sub(st))
			}
		}
	}
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	if n := len(waits); n > 0 {
		rep.LockWaitP50, rep.LockWaitP95, rep.LockWaitMax = waits[n/2], waits[min(n-1, n*95/100)], waits[n-1]
	}
	if m := rep.Wall.Minutes(); m > 0 {
		rep.RunsPerMinute = float64(rep.Check.Runs) / m
		rep.DeploymentsPerMinute = float64(rep.Deployments) / m
	}
}

func tail(out string) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "    " + strings.Join(lines, "\n    ")
}
