package engine_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/engine/view"
)

// soakAndGate has two independent environments: staging soaks for a long
// time while production waits at its gate, which expires after an hour.
const soakAndGate = `
pipeline "svc" {
  version = "2.0.${git.commit_count}"
  image   = "busybox"
}
build "app" {
  step "compile" { run = "mkdir -p dist && echo ok > dist/app" }
}
package "app" {
  artifact "bin" { path = "dist/app" }
}
environment "staging" {
  step "soak" { run = "sleep 30" }
}
environment "production" {
  gate "go-live" {
    approvers = ["carol@example.com"]
    timeout   = "1h"
  }
  step "rollout" { run = "echo rolled ${release.version}" }
}
`

// gateStores are the stores the gate tests run on: memory and a real
// SQLite database.
var gateStores = []struct {
	name string
	open func(t *testing.T) state.Store
}{
	{"memory", func(t *testing.T) state.Store { return memory.New() }},
	{"sqlite", func(t *testing.T) state.Store {
		s, err := sqlite.Open(ctx(t), filepath.Join(t.TempDir(), "state.db"), nil)
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		return s
	}},
}

// clock is a settable clock for the engine.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func gateFixture(t *testing.T, open func(t *testing.T) state.Store, clk *clock) *fixture {
	t.Helper()
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": soakAndGate})
	store := open(t)
	t.Cleanup(func() { _ = store.Close() })
	f := &fixture{repo: r, store: store, env: map[string]string{}}
	opts := engine.Options{Store: store, Runners: f.runners(), DefaultRunner: "local",
		ArtifactDir: f.artifacts(), Logger: hclog.NewNullLogger(), PollInterval: 20 * time.Millisecond}
	if clk != nil {
		opts.Clock = clk.Now
	}
	f.eng = engine.New(opts)
	return f
}

// TestCancelClosesWaitingGates cancels a run while production waits at
// its gate (with --wait, and without while staging still runs): the gate
// is recorded as cancelled, status no longer offers it, and approve and
// resume refuse the run with code 2.
func TestCancelClosesWaitingGates(t *testing.T) {
	for _, st := range gateStores {
		for _, wait := range []bool{true, false} {
			name := st.name + "/no-wait"
			if wait {
				name = st.name + "/wait"
			}
			t.Run(name, func(t *testing.T) {
				f := gateFixture(t, st.open, nil)
				testCancelClosesGates(t, f, wait)
			})
		}
	}
}

func testCancelClosesGates(t *testing.T, f *fixture, wait bool) {
	c := ctx(t)
	runCtx, cancel := context.WithCancel(c)
	defer cancel()
	type outcome struct {
		res *engine.RunResult
		err error
	}
	done := make(chan outcome, 1)
	ids := make(chan string, 1)
	go func() {
		res, err := f.eng.Run(runCtx, engine.RunRequest{Config: f.repo.load(), Wait: wait, Started: func(i engine.RunInfo) { ids <- i.Run.ID }})
		done <- outcome{res, err}
	}()
	id := <-ids
	deadline := time.Now().Add(20 * time.Second)
	for {
		if g, err := f.store.GetGate(c, id, "production/go-live"); err == nil && g.Status == state.StatusWaiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run never reached the gate")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not stop after it was cancelled")
	}
	if exitCode(o.err) != 1 || o.res == nil || o.res.Run.Status != state.StatusCancelled {
		t.Fatalf("cancelled Run = %+v, %v (code %d); want status cancelled with code 1", o.res, o.err, exitCode(o.err))
	}
	g, err := f.store.GetGate(c, id, "production/go-live")
	if err != nil || g.Status != state.StatusCancelled || g.DecidedAt.IsZero() {
		t.Errorf("gate after the cancel = %+v, %v; want status cancelled with DecidedAt set", g, err)
	}
	assertNoGates(t, f, "after the cancel")

	_, err = f.eng.Approve(c, engine.Decision{RunID: id, Gate: "go-live", By: "carol@example.com"})
	checkCancelledRefusal(t, "Approve", id, err, engine.ErrGateNotWaiting)
	_, err = f.eng.Resume(c, engine.ResumeRequest{RunID: id})
	checkCancelledRefusal(t, "Resume", id, err, engine.ErrNotResumable)
	if approvals, _ := f.store.Approvals(c, id, "production/go-live"); len(approvals) != 0 {
		t.Errorf("approvals of the cancelled run's gate = %+v; want none", approvals)
	}

	// A run cancelled before cancelling closed its gates left them
	// recorded as waiting: status leaves them out, approve refuses them.
	g.Status, g.DecidedAt = state.StatusWaiting, time.Time{}
	if err := f.store.PutGate(c, g); err != nil {
		t.Fatal(err)
	}
	assertNoGates(t, f, "of a cancelled run whose gate is still recorded as waiting")
	_, err = f.eng.Approve(c, engine.Decision{RunID: id, Gate: "go-live", By: "carol@example.com"})
	checkCancelledRefusal(t, "Approve of a gate still recorded as waiting", id, err, engine.ErrGateNotWaiting)
}

func assertNoGates(t *testing.T, f *fixture, when string) {
	t.Helper()
	rows, err := f.eng.Status(ctx(t), "svc", []string{"staging", "production"})
	if err != nil {
		t.Fatalf("Status %s: %v", when, err)
	}
	for _, row := range rows {
		if len(row.Waiting) != 0 || len(row.Expired) != 0 {
			t.Errorf("Status %s: %s waiting %+v, expired %+v; want no gate", when, row.Environment, row.Waiting, row.Expired)
		}
	}
}

func checkCancelledRefusal(t *testing.T, what, id string, err, also error) {
	t.Helper()
	if exitCode(err) != 2 || !errors.Is(err, engine.ErrRunCancelled) || !errors.Is(err, also) {
		t.Errorf("%s of cancelled run %s = %v (code %d); want ErrRunCancelled and %v with code 2", what, id, err, exitCode(err), also)
		return
	}
	for _, want := range []string{"run " + id + " was cancelled", "start a new run (pipeline run)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s of cancelled run %s = %q; want it to say %q", what, id, err, want)
		}
	}
}

// TestExpiredGate lets production's gate pass its one-hour timeout: status
// shows it as expired without recording anything, and approve, reject and
// resume refuse it with code 2, recording the expiry in the audit trail
// once, whichever comes first.
func TestExpiredGate(t *testing.T) {
	orders := [][]string{
		{"resume", "approve", "resume"},
		{"approve", "reject", "resume"},
	}
	for _, st := range gateStores {
		for _, order := range orders {
			t.Run(st.name+"/"+strings.Join(order, "-"), func(t *testing.T) {
				clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
				f := gateFixture(t, st.open, clk)
				testExpiredGate(t, f, clk, order)
			})
		}
	}
}

func testExpiredGate(t *testing.T, f *fixture, clk *clock, order []string) {
	c := ctx(t)
	res, err := f.eng.Run(c, engine.RunRequest{Config: f.repo.load(), Only: []string{"build", "package", "environment.production"}})
	if exitCode(err) != 3 {
		t.Fatalf("Run = %v (code %d); want it to wait at the gate (code 3)", err, exitCode(err))
	}
	id := res.Run.ID
	row := productionStatus(t, f)
	if len(row.Waiting) != 1 || len(row.Expired) != 0 {
		t.Fatalf("Status before the timeout: waiting %+v, expired %+v; want one waiting gate", row.Waiting, row.Expired)
	}
	expiresAt := row.Waiting[0].ExpiresAt

	clk.Add(2 * time.Hour)
	row = productionStatus(t, f)
	if len(row.Waiting) != 0 || len(row.Expired) != 1 || row.Expired[0].Status != state.StatusExpired || row.Expired[0].RunID != id {
		t.Fatalf("Status after the timeout: waiting %+v, expired %+v; want run %s's gate expired", row.Waiting, row.Expired, id)
	}
	v := view.NewEnvStatus(row)
	if len(v.Expired) != 1 || v.Expired[0].Status != "expired" || v.Expired[0].ApproveCommand != "" || len(v.Waiting) != 0 {
		t.Errorf("view of the status after the timeout = %+v; want one expired gate with no approve command", v)
	}
	if g, err := f.store.GetGate(c, id, "production/go-live"); err != nil || g.Status != state.StatusWaiting {
		t.Errorf("stored gate after Status = %+v, %v; want it still recorded as waiting (Status records nothing)", g, err)
	}
	if n := expireEvents(t, f); n != 0 {
		t.Errorf("audit after Status has %d expire events; want 0", n)
	}

	want := "gate go-live of production expired at " + expiresAt.Format(time.RFC3339) + "; start a new run"
	for _, step := range order {
		var also error
		switch step {
		case "resume":
			_, err = f.eng.Resume(c, engine.ResumeRequest{RunID: id})
			also = engine.ErrNotResumable
		case "approve":
			_, err = f.eng.Approve(c, engine.Decision{RunID: id, Gate: "go-live", By: "carol@example.com"})
			also = engine.ErrGateNotWaiting
		case "reject":
			_, err = f.eng.Reject(c, engine.Decision{RunID: id, Gate: "go-live", By: "carol@example.com"})
			also = engine.ErrGateNotWaiting
		}
		if exitCode(err) != 2 || !errors.Is(err, engine.ErrGateExpired) || !errors.Is(err, also) || err.Error() != want {
			t.Errorf("%s after the timeout = %v (code %d); want %q (ErrGateExpired, %v, code 2)", step, err, exitCode(err), want, also)
		}
	}
	if n := expireEvents(t, f); n != 1 {
		t.Errorf("audit after %v has %d expire events; want 1", order, n)
	}
	run, _ := f.store.GetRun(c, id)
	if run.Status != state.StatusExpired {
		t.Errorf("run status after %v = %s; want expired", order, run.Status)
	}
	if g, err := f.store.GetGate(c, id, "production/go-live"); err != nil || g.Status != state.StatusExpired || g.DecidedAt.IsZero() {
		t.Errorf("stored gate after %v = %+v, %v; want expired with DecidedAt set", order, g, err)
	}
	if approvals, _ := f.store.Approvals(c, id, "production/go-live"); len(approvals) != 0 {
		t.Errorf("approvals of the expired gate = %+v; want none", approvals)
	}
	if deps, _ := f.store.ListDeployments(c, state.DeploymentFilter{Pipeline: "svc", Environment: "production"}); len(deps) != 0 {
		t.Errorf("deployments to production = %+v; want none", deps)
	}
}

func productionStatus(t *testing.T, f *fixture) engine.EnvStatus {
	t.Helper()
	rows, err := f.eng.Status(ctx(t), "svc", []string{"production"})
	if err != nil || len(rows) != 1 {
		t.Fatalf("Status = %+v, %v; want production's row", rows, err)
	}
	return rows[0]
}

func expireEvents(t *testing.T, f *fixture) int {
	t.Helper()
	evs, err := f.store.Audit(ctx(t), "svc", 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == "expire" {
			n++
		}
	}
	return n
}
