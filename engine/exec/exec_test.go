package exec_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
	"github.com/pipeline-cd/pipeline/engine/ui"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/local"
	"github.com/pipeline-cd/pipeline/runners/runnertest"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

// loadPlan plans the pipeline written in src.
func loadPlan(t testing.TB, src string) *plan.Plan {
	t.Helper()
	fsys := fstest.MapFS{"pipeline.hcl": {Data: []byte(src)}}
	cfg, diags := dsl.NewParser().LoadDir(fsys, dsl.LoadOptions{Dir: "."})
	require.False(t, diags.HasErrors(), "config errors: %s", diags.Error())
	p, err := plan.New(cfg, plan.Options{})
	require.NoError(t, err)
	return p
}

// fixture is one run's wiring: a local runner, a real memory store with the
// run created, a plain sink writing into out and a workspace.
type fixture struct {
	store     *memory.Store
	runner    *countingRunner
	out       *runnertest.Buffer
	workspace string
	runID     string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	store := memory.New()
	t.Cleanup(func() { _ = store.Close() })
	runID := "run-test"
	require.NoError(t, store.CreateRun(context.Background(), runRecord(runID)))
	return &fixture{
		store:     store,
		runner:    &countingRunner{Runner: local.New(local.Options{StopGrace: time.Second}, nil)},
		out:       &runnertest.Buffer{},
		workspace: t.TempDir(),
		runID:     runID,
	}
}

func runRecord(id string) *state.Run {
	return &state.Run{ID: id, Pipeline: "p", Kind: "run", Status: state.StatusRunning, StartedAt: time.Now()}
}

func (f *fixture) options() exec.Options {
	return exec.Options{
		Parallelism: 8,
		Runner:      f.runner,
		Workspace:   f.workspace,
		Store:       f.store,
		RunID:       f.runID,
		Output:      ui.NewPlain(f.out),
	}
}

// storedNodes returns the store's nodes by ID.
func (f *fixture) storedNodes(t testing.TB) map[string]*state.Node {
	t.Helper()
	nodes, err := f.store.Nodes(context.Background(), f.runID)
	require.NoError(t, err)
	out := make(map[string]*state.Node, len(nodes))
	for _, n := range nodes {
		out[n.NodeID] = n
	}
	return out
}

// logText returns the node's stored log lines, one per line, as
// "attempt:stream:text".
func (f *fixture) logText(t testing.TB, node string) string {
	t.Helper()
	lines, err := f.store.Logs(context.Background(), f.runID, node)
	require.NoError(t, err)
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%d:%s:%s\n", l.Attempt, l.Stream, l.Text)
	}
	return b.String()
}

// countingRunner wraps a real runner and measures how many steps run at once.
type countingRunner struct {
	runners.Runner
	mu            sync.Mutex
	running, peak int
	calls         []string
}

func (c *countingRunner) Run(ctx context.Context, s *runners.Step, stdout, stderr io.Writer) (*runners.Result, error) {
	c.mu.Lock()
	c.running++
	c.peak = max(c.peak, c.running)
	c.calls = append(c.calls, s.ID)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.running--
		c.mu.Unlock()
	}()
	return c.Runner.Run(ctx, s, stdout, stderr)
}

// Wait passes on to the wrapped runner's background-work wait, if any, as
// Run expects of runners like Docker's.
func (c *countingRunner) Wait(ctx context.Context) error {
	if w, ok := c.Runner.(interface{ Wait(context.Context) error }); ok {
		return w.Wait(ctx)
	}
	return nil
}

func (c *countingRunner) peakConcurrency() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peak
}

// statuses returns each shown node's status.
func statuses(res *exec.Result) map[string]string {
	out := make(map[string]string)
	for id, n := range res.Nodes {
		if n.Kind != string(plan.KindStage) {
			out[id] = n.Status
		}
	}
	return out
}

func run(t testing.TB, p *plan.Plan, opts exec.Options) *exec.Result {
	t.Helper()
	res, err := exec.Run(context.Background(), p, opts)
	require.NoError(t, err)
	require.NotNil(t, res)
	return res
}

func checkStatuses(t *testing.T, res *exec.Result, want map[string]string) {
	t.Helper()
	got := statuses(res)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("node %s status = %q (reason %q); want %q", id, got[id], reasonOf(res, id), w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("result has %d shown nodes %v; want %d", len(got), got, len(want))
	}
}

func reasonOf(res *exec.Result, id string) string {
	if n := res.Nodes[id]; n != nil {
		return n.Reason
	}
	return ""
}

func TestDiamond(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "diamond" {
  image = "pipeline-test/busybox:latest"
}
build "app" {
  step "a" { run = "echo a >> order.txt" }
  step "b" {
    needs = [step.a]
    run   = "sleep 0.3; echo b >> order.txt"
  }
  step "c" {
    needs = [step.a]
    run   = "sleep 0.3; echo c >> order.txt"
  }
  step "d" {
    needs = [step.b, step.c]
    run   = "echo d >> order.txt; echo done"
  }
}
`)
	res := run(t, p, f.options())
	if res.Status != exec.StatusSucceeded {
		t.Fatalf("Run status = %q; want succeeded (nodes %v)", res.Status, statuses(res))
	}
	checkStatuses(t, res, map[string]string{
		"build.app.a": "succeeded", "build.app.b": "succeeded", "build.app.c": "succeeded", "build.app.d": "succeeded",
	})
	order, err := os.ReadFile(filepath.Join(f.workspace, "order.txt"))
	require.NoError(t, err)
	lines := strings.Fields(string(order))
	if len(lines) != 4 || lines[0] != "a" || lines[3] != "d" {
		t.Errorf("execution order = %v; want a first, d last", lines)
	}
	b, c := res.Nodes["build.app.b"], res.Nodes["build.app.c"]
	if !b.Started.Before(c.Finished) || !c.Started.Before(b.Finished) {
		t.Errorf("b ran %v..%v and c ran %v..%v; want them to overlap", b.Started, b.Finished, c.Started, c.Finished)
	}
	if got := f.logText(t, "build.app.d"); got != "1:stdout:done\n" {
		t.Errorf("stored log of d = %q; want %q", got, "1:stdout:done\n")
	}
	stored := f.storedNodes(t)
	for _, id := range []string{"build.app.a", "build.app.b", "build.app.c", "build.app.d"} {
		n := stored[id]
		if n == nil || n.Status != state.StatusSucceeded || n.Attempts != 1 || n.FinishedAt.IsZero() {
			t.Errorf("stored node %s = %+v; want succeeded after 1 attempt with a finish time", id, n)
		}
	}
	if len(res.CriticalPath) != 3 || res.CriticalPath[0] != "build.app.a" || res.CriticalPath[2] != "build.app.d" {
		t.Errorf("CriticalPath = %v; want a → (b|c) → d", res.CriticalPath)
	}
	if !strings.Contains(f.out.String(), "[build.app.d] done\n") || !strings.Contains(f.out.String(), "✓ build.app.d (") {
		t.Errorf("plain output %q lacks the prefixed line and the status line of d", f.out.String())
	}
}

func TestFanOutRespectsParallelism(t *testing.T) {
	var b strings.Builder
	b.WriteString("pipeline \"fan\" {\n  image = \"pipeline-test/busybox:latest\"\n}\nbuild \"app\" {\n")
	for i := range 16 {
		fmt.Fprintf(&b, "  step \"s%02d\" { run = \"sleep 0.1; echo %d\" }\n", i, i)
	}
	b.WriteString("}\n")
	f := newFixture(t)
	opts := f.options()
	opts.Parallelism = 4
	res := run(t, loadPlan(t, b.String()), opts)
	if res.Status != exec.StatusSucceeded {
		t.Fatalf("Run status = %q; want succeeded", res.Status)
	}
	if got := len(f.runner.calls); got != 16 {
		t.Errorf("runner was called %d times; want 16", got)
	}
	if got := f.runner.peakConcurrency(); got != 4 {
		t.Errorf("peak concurrency = %d; want exactly 4 with parallelism 4", got)
	}
	for i := range 16 {
		id := fmt.Sprintf("build.app.s%02d", i)
		if got, want := f.logText(t, id), fmt.Sprintf("1:stdout:%d\n", i); got != want {
			t.Errorf("log of %s = %q; want %q", id, got, want)
		}
	}
}

const failingPipeline = `
pipeline "webapp" {
  image = "pipeline-test/busybox:latest"
}
build "webapp" {
  step "compile" { run = "echo compiling; exit 2" }
  step "lint" { run = "sleep 0.5; echo lint ok" }
}
test "unit" {
  step "go-test" { run = "echo testing" }
}
test "integration" {
  needs = [test.unit]
  step "e2e" { run = "echo e2e" }
}
`

func TestFailurePropagation(t *testing.T) {
	f := newFixture(t)
	res := run(t, loadPlan(t, failingPipeline), f.options())
	if res.Status != exec.StatusFailed {
		t.Fatalf("Run status = %q; want failed", res.Status)
	}
	checkStatuses(t, res, map[string]string{
		"build.webapp.compile": "failed",
		"build.webapp.lint":    "succeeded",
		"test.unit.go-test":    "skipped",
		"test.integration.e2e": "skipped",
	})
	if got := res.Nodes["build.webapp.compile"].ExitCode; got != 2 {
		t.Errorf("compile exit code = %d; want 2", got)
	}
	for _, id := range []string{"test.unit.go-test", "test.integration.e2e"} {
		if got, want := reasonOf(res, id), "skipped: build.webapp.compile failed"; got != want {
			t.Errorf("reason of %s = %q; want %q", id, got, want)
		}
	}
	stored := f.storedNodes(t)
	if n := stored["test.unit.go-test"]; n == nil || n.Status != state.NodeSkipped || n.Reason != "skipped: build.webapp.compile failed" {
		t.Errorf("stored test.unit.go-test = %+v; want skipped with the reason", n)
	}
	if n := stored["build.webapp.compile"]; n == nil || n.Status != state.StatusFailed || n.ExitCode != 2 {
		t.Errorf("stored compile = %+v; want failed with exit 2", n)
	}
	if got := f.logText(t, "build.webapp.lint"); got != "1:stdout:lint ok\n" {
		t.Errorf("lint log = %q; want the independent branch to finish", got)
	}
	out := f.out.String()
	for _, want := range []string{"✗ build.webapp.compile (", ") exit 2\n", "○ test.unit.go-test (skipped: build.webapp.compile failed)\n", "run failed\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("plain output lacks %q:\n%s", want, out)
		}
	}
}

func TestFailFast(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "ff" {
  image = "pipeline-test/busybox:latest"
}
build "app" {
  step "bad" { run = "sleep 0.2; exit 1" }
  step "slow" { run = "sleep 20" }
}
test "unit" {
  step "t" { run = "true" }
}
`)
	opts := f.options()
	opts.FailFast = true
	start := time.Now()
	res := run(t, p, opts)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("fail-fast run took %v; want the slow step stopped at once", took)
	}
	if res.Status != exec.StatusFailed {
		t.Errorf("Run status = %q; want failed", res.Status)
	}
	checkStatuses(t, res, map[string]string{
		"build.app.bad": "failed", "build.app.slow": "cancelled", "test.unit.t": "skipped",
	})
	if got, want := reasonOf(res, "build.app.slow"), "cancelled: --fail-fast after build.app.bad failed"; got != want {
		t.Errorf("reason of slow = %q; want %q", got, want)
	}
	if got, want := reasonOf(res, "test.unit.t"), "skipped: build.app.bad failed"; got != want {
		t.Errorf("reason of t = %q; want %q", got, want)
	}
}

func TestFailFastSkipsUnstarted(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "ff" {
  image = "pipeline-test/busybox:latest"
}
build "app" {
  step "a-bad" { run = "exit 1" }
  step "b" { run = "true" }
  step "c" { run = "true" }
}
`)
	opts := f.options()
	opts.FailFast = true
	opts.Parallelism = 1
	res := run(t, p, opts)
	checkStatuses(t, res, map[string]string{
		"build.app.a-bad": "failed", "build.app.b": "skipped", "build.app.c": "skipped",
	})
	for _, id := range []string{"build.app.b", "build.app.c"} {
		if got, want := reasonOf(res, id), "skipped: --fail-fast after build.app.a-bad failed"; got != want {
			t.Errorf("reason of %s = %q; want %q", id, got, want)
		}
	}
	if got := len(f.runner.calls); got != 1 {
		t.Errorf("runner called %d times (%v); want only the failing step", got, f.runner.calls)
	}
}

func TestRetries(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "retry" {
  image = "pipeline-test/busybox:latest"
}
test "unit" {
  step "flaky" {
    retries = 2
    run     = "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo attempt $n; [ $n -ge 2 ]"
  }
  step "always-fails" {
    retries = 1
    run     = "echo no >&2; exit 3"
  }
}
`)
	res := run(t, p, f.options())
	flaky := res.Nodes["test.unit.flaky"]
	if flaky.Status != exec.StatusSucceeded || flaky.Attempts != 2 {
		t.Errorf("flaky = %s after %d attempts; want succeeded after 2", flaky.Status, flaky.Attempts)
	}
	if got, want := f.logText(t, "test.unit.flaky"), "1:stdout:attempt 1\n2:stdout:attempt 2\n"; got != want {
		t.Errorf("flaky logs = %q; want %q", got, want)
	}
	bad := res.Nodes["test.unit.always-fails"]
	if bad.Status != exec.StatusFailed || bad.Attempts != 2 || bad.ExitCode != 3 {
		t.Errorf("always-fails = %s after %d attempts, exit %d; want failed after 2, exit 3", bad.Status, bad.Attempts, bad.ExitCode)
	}
	if got, want := f.logText(t, "test.unit.always-fails"), "1:stderr:no\n2:stderr:no\n"; got != want {
		t.Errorf("always-fails logs = %q; want %q", got, want)
	}
	if n := f.storedNodes(t)["test.unit.flaky"]; n == nil || n.Attempts != 2 || n.Status != state.StatusSucceeded {
		t.Errorf("stored flaky = %+v; want succeeded with 2 attempts", n)
	}
	if !strings.Contains(f.out.String(), "↻ test.unit.flaky attempt 1 of 3 failed (exit 1); retrying\n") {
		t.Errorf("plain output lacks the retry line:\n%s", f.out.String())
	}
}

func TestTimeout(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "to" {
  image = "pipeline-test/busybox:latest"
}
test "unit" {
  step "hang" {
    timeout = "500ms"
    run     = "echo started; sleep 20"
  }
}
`)
	start := time.Now()
	res := run(t, p, f.options())
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("run took %v; want the step killed after its 500ms timeout", took)
	}
	n := res.Nodes["test.unit.hang"]
	if n.Status != exec.StatusTimedOut || !strings.Contains(n.Reason, "timed out after 500ms") {
		t.Errorf("hang = %q (%q); want timed out naming 500ms", n.Status, n.Reason)
	}
	if res.Status != exec.StatusFailed {
		t.Errorf("Run status = %q; want failed", res.Status)
	}
	if s := f.storedNodes(t)["test.unit.hang"]; s == nil || s.Status != state.StatusFailed || !strings.Contains(s.Reason, "timed out") {
		t.Errorf("stored hang = %+v; want failed with a timeout reason", s)
	}
	if got := f.logText(t, "test.unit.hang"); got != "1:stdout:started\n" {
		t.Errorf("hang logs = %q; want the output before the timeout", got)
	}
}

func TestWhenFalse(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "when" {
  image = "pipeline-test/busybox:latest"
}
variable "publish" {
  type    = bool
  default = false
}
build "app" {
  step "publish" {
    when = var.publish
    run  = "echo publishing"
  }
  step "after" {
    needs = [step.publish]
    run   = "echo after"
  }
}
`)
	res := run(t, p, f.options())
	checkStatuses(t, res, map[string]string{"build.app.publish": "skipped", "build.app.after": "succeeded"})
	if got, want := reasonOf(res, "build.app.publish"), "when condition is false: var.publish"; got != want {
		t.Errorf("reason = %q; want %q", got, want)
	}
	if res.Status != exec.StatusSucceeded {
		t.Errorf("Run status = %q; want succeeded", res.Status)
	}
	if len(f.runner.calls) != 1 || f.runner.calls[0] != "build.app.after" {
		t.Errorf("runner calls = %v; want only build.app.after", f.runner.calls)
	}
	if got := strings.Join(res.CriticalPath, " "); got != "build.app.after" {
		t.Errorf("CriticalPath = %q; want only build.app.after, the node that ran", got)
	}
}

const secretPipeline = `
pipeline "sec" {
  image = "pipeline-test/busybox:latest"
}
secret "token" {
  env = "EXEC_TEST_TOKEN"
}
build "app" {
  step "uses" {
    secrets = [secret.token]
    run     = "echo \"token is $EXEC_TEST_TOKEN\"; printf 'split %s' \"$EXEC_TEST_TOKEN\" | head -c 9; printf '%s\\n' \"$EXEC_TEST_TOKEN\" | tail -c 8; echo $EXEC_TEST_TOKEN | base64; exit 1"
  }
  step "other" {
    run = "echo \"other sees [$EXEC_TEST_TOKEN]\""
  }
}
`

func TestSecretsMaskedEverywhere(t *testing.T) {
	const secret = "s3cr3t-VALUE-42"
	f := newFixture(t)
	opts := f.options()
	opts.Secrets = map[string]string{"token": secret}
	res := run(t, loadPlan(t, secretPipeline), opts)
	checkStatuses(t, res, map[string]string{"build.app.uses": "failed", "build.app.other": "succeeded"})

	uses := f.logText(t, "build.app.uses")
	if !strings.Contains(uses, "1:stdout:token is ***\n") {
		t.Errorf("stored log of uses = %q; want the secret replaced by ***", uses)
	}
	if got, want := f.logText(t, "build.app.other"), "1:stdout:other sees []\n"; got != want {
		t.Errorf("stored log of other = %q; want %q (the secret reaches only steps that list it)", got, want)
	}
	all, err := f.store.Logs(context.Background(), f.runID, "")
	require.NoError(t, err)
	if len(all) < 4 {
		t.Errorf("stored %d lines; want at least 4", len(all))
	}
	for _, where := range []struct{ name, text string }{
		{"store logs", uses + f.logText(t, "build.app.other")},
		{"plain output", f.out.String()},
		{"stored reasons", fmt.Sprint(f.storedNodes(t))},
	} {
		for _, form := range []string{secret, "s3cr3t", "czNjcjN0LVZBTFVFLTQy"} {
			if strings.Contains(where.text, form) {
				t.Errorf("%s contain %q:\n%s", where.name, form, where.text)
			}
		}
	}
}

func TestSecretSetupErrors(t *testing.T) {
	p := loadPlan(t, secretPipeline)
	tests := []struct {
		name    string
		secrets map[string]string
		want    error
		msg     []string // parts of the message naming the secret and the fix
	}{
		{"too short", map[string]string{"token": "abc"}, mask.ErrSecretTooShort,
			[]string{`secret "token"`, "EXEC_TEST_TOKEN has 3 characters"}},
		{"missing", nil, exec.ErrMissingSecret,
			[]string{"secret token: set EXEC_TEST_TOKEN in the environment of pipeline", "build.app.uses"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			opts := f.options()
			opts.Secrets = tt.secrets
			res, err := exec.Run(context.Background(), p, opts)
			if !errors.Is(err, tt.want) || res != nil {
				t.Errorf("Run() = %v, %v; want nil and an error wrapping %v", res, err, tt.want)
			}
			if len(f.runner.calls) != 0 {
				t.Errorf("runner called %v; want nothing run", f.runner.calls)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("Run() error = %q; want it to contain %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "#1") {
				t.Errorf("Run() error = %q; want the secret named, not numbered", err)
			}
		})
	}
}

func TestResumeWithDone(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "resume" {
  image = "pipeline-test/busybox:latest"
}
build "app" {
  step "a" {
    run     = "echo ran a >> ran.txt; exit 1"
    retries = 2
  }
  step "b" {
    needs = [step.a]
    run   = "echo ran b >> ran.txt"
  }
}
`)
	opts := f.options()
	opts.Done = map[string]bool{"build.app.a": true}
	res := run(t, p, opts)
	checkStatuses(t, res, map[string]string{"build.app.a": "reused", "build.app.b": "succeeded"})
	if res.Status != exec.StatusSucceeded {
		t.Errorf("Run status = %q; want succeeded", res.Status)
	}
	ran, err := os.ReadFile(filepath.Join(f.workspace, "ran.txt"))
	require.NoError(t, err)
	if string(ran) != "ran b\n" {
		t.Errorf("ran.txt = %q; want only b to run", ran)
	}
	if _, ok := f.storedNodes(t)["build.app.a"]; ok {
		t.Errorf("reused node build.app.a was recorded again; want the earlier record left alone")
	}
	if out := f.out.String(); strings.Contains(out, "attempt 0") || !strings.Contains(out, "build.app.a") {
		t.Errorf("output = %q; want build.app.a shown as reused without an attempt count", out)
	}
}

const gatePipeline = `
pipeline "gated" {
  image = "pipeline-test/busybox:latest"
}
build "app" {
  step "compile" { run = "echo compiled" }
}
environment "production" {
  gate "go-live" {
    approvers = ["author"]
  }
  step "rollout" { run = "echo rolling out" }
}
`

// gateHandler succeeds deploy nodes and stops at gates.
type gateHandler struct {
	mu   sync.Mutex
	seen []string
}

func (h *gateHandler) RunNode(ctx context.Context, n *plan.Node) error {
	h.mu.Lock()
	h.seen = append(h.seen, n.ID)
	h.mu.Unlock()
	if n.Kind == plan.KindGate {
		return fmt.Errorf("gate %s is waiting for approval: %w", n.Gate.Name, exec.ErrStop)
	}
	return nil
}

func TestHandlerStop(t *testing.T) {
	f := newFixture(t)
	h := &gateHandler{}
	opts := f.options()
	opts.Handler = h
	res := run(t, loadPlan(t, gatePipeline), opts)
	if res.Status != exec.StatusStopped {
		t.Errorf("Run status = %q; want stopped", res.Status)
	}
	checkStatuses(t, res, map[string]string{
		"build.app.compile":                   "succeeded",
		"environment.production":              "succeeded",
		"environment.production.gate.go-live": "stopped",
		"environment.production.rollout":      "not reached",
	})
	if got, want := reasonOf(res, "environment.production.rollout"), "not reached: environment.production.gate.go-live stopped"; got != want {
		t.Errorf("rollout reason = %q; want %q", got, want)
	}
	stored := f.storedNodes(t)
	if n := stored["environment.production.gate.go-live"]; n == nil || n.Status != state.StatusWaiting {
		t.Errorf("stored gate = %+v; want waiting", n)
	}
	if n := stored["environment.production.rollout"]; n == nil || n.Status != state.NodePending {
		t.Errorf("stored rollout = %+v; want pending, to run on resume", n)
	}
	if len(h.seen) != 2 {
		t.Errorf("handler saw %v; want the deploy node and the gate", h.seen)
	}
}

func TestNoHandler(t *testing.T) {
	f := newFixture(t)
	_, err := exec.Run(context.Background(), loadPlan(t, gatePipeline), f.options())
	if !errors.Is(err, exec.ErrNoHandler) {
		t.Errorf("Run() error = %v; want ErrNoHandler", err)
	}
}

func TestUnknownRunner(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "r" {
  image = "pipeline-test/busybox:latest"
}
build "app" {
  step "d" {
    runner = "docker"
    run    = "true"
  }
}
`)
	res := run(t, p, f.options())
	n := res.Nodes["build.app.d"]
	if n.Status != exec.StatusFailed || !strings.Contains(n.Reason, `runner "docker"`) {
		t.Errorf("d = %q (%q); want failed naming the missing runner", n.Status, n.Reason)
	}
}

func TestCancel(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "c" {
  image = "pipeline-test/busybox:latest"
}
build "app" {
  step "long" { run = "echo going; sleep 30" }
}
test "unit" {
  step "t" { run = "true" }
}
`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	res, err := exec.Run(ctx, p, f.options())
	require.NoError(t, err)
	if took := time.Since(start); took > 2300*time.Millisecond {
		t.Errorf("cancelled run took %v; want at most the 1s grace plus a second", took)
	}
	if res.Status != exec.StatusCancelled {
		t.Errorf("Run status = %q; want cancelled", res.Status)
	}
	checkStatuses(t, res, map[string]string{"build.app.long": "cancelled", "test.unit.t": "cancelled"})
	stored := f.storedNodes(t)
	for _, id := range []string{"build.app.long", "test.unit.t"} {
		if n := stored[id]; n == nil || n.Status != state.StatusCancelled {
			t.Errorf("stored %s = %+v; want cancelled", id, n)
		}
	}
}

// TestFailureOutranksStop: environment c requires a, whose step fails
// after b's gate has stopped the run. c's nodes are skipped because of the
// failure, not "not reached" because of the gate, whichever came first.
func TestFailureOutranksStop(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.Handler = &gateHandler{}
	res := run(t, loadPlan(t, `
pipeline "race" {
  image = "pipeline-test/busybox:latest"
}
environment "a" {
  step "deploy" { run = "sleep 0.3; false" }
}
environment "b" {
  gate "go" { approvers = ["author"] }
  step "deploy" { run = "true" }
}
environment "c" {
  requires = [environment.a, environment.b]
  step "deploy" { run = "true" }
}
`), opts)
	for _, id := range []string{"environment.c", "environment.c.deploy"} {
		if got := statuses(res)[id]; got != exec.StatusSkipped {
			t.Errorf("node %s status = %q (reason %q); want skipped: a failed before it, even though b's gate stopped first", id, got, reasonOf(res, id))
		}
	}
	if got := statuses(res)["environment.b.deploy"]; got != exec.StatusNotReached {
		t.Errorf("environment.b.deploy status = %q (%s); want not reached (behind the gate)", got, reasonOf(res, "environment.b.deploy"))
	}
}
