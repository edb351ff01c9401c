package docker

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/runnertest"
)

// shareEach adapts a Sharer to a Runner that runs each step in a shared
// container of its own, so the conformance suite checks exec semantics
// (exit codes, streams, env, workdir, timeout, cancel) like a container's.
type shareEach struct{ r *Runner }

func (s shareEach) Run(ctx context.Context, step *runners.Step, stdout, stderr io.Writer) (*runners.Result, error) {
	if err := step.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, errors.Join(runners.ErrCanceled, err)
	}
	proto := *step
	sh, err := s.r.Share(ctx, &proto)
	if err != nil {
		return nil, err
	}
	defer sh.Close(context.Background())
	return sh.Run(ctx, step, stdout, stderr)
}

func TestSharedConformance(t *testing.T) {
	runnertest.Run(t, func(t *testing.T) runners.Runner {
		r, _ := newTestRunner(t, Options{})
		return shareEach{r}
	}, runnertest.Options{Image: testenv.TestImage, StopWithin: 5 * time.Second})
}

// sharedContainers lists the shared containers labelled with run.
func sharedContainers(t testing.TB, r *Runner, run string) []container.Summary {
	t.Helper()
	list, err := r.cli.ContainerList(context.Background(), container.ListOptions{
		All: true,
		Filters: filters.NewArgs(filters.Arg("label", runners.LabelRun+"="+run),
			filters.Arg("label", runners.LabelShared+"=true")),
	})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestSharedOneContainer(t *testing.T) {
	r, cli := newTestRunner(t, Options{})
	run := runID(t)
	ws := t.TempDir()
	proto := &runners.Step{ID: "build.webapp", RunID: run, Image: testenv.TestImage, Workspace: ws}
	sh, err := r.Share(context.Background(), proto)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close(context.Background())
	if n := len(containersOf(t, cli, run)); n != 1 {
		t.Fatalf("containers after Share = %d; want 1", n)
	}
	// A file written by one step is seen by the next (same container, not
	// the workspace), and each step has its own env.
	steps := []struct{ script, env, want string }{
		{"echo kept > /tmp/state; echo $WHO", "first", "first"},
		{"cat /tmp/state; echo $WHO", "second", "kept\nsecond"},
	}
	for _, s := range steps {
		var out runnertest.Buffer
		step := &runners.Step{ID: "s", RunID: run, Image: testenv.TestImage, Workspace: ws, Script: s.script,
			Env: map[string]string{"WHO": s.env}}
		res, err := sh.Run(context.Background(), step, &out, &out)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("Run(%q) = %+v, %v", s.script, res, err)
		}
		if got := strings.TrimSpace(out.String()); got != s.want {
			t.Errorf("Run(%q) output = %q; want %q", s.script, got, s.want)
		}
	}
	// Side by side, steps still get one container between them.
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			step := &runners.Step{ID: "p", RunID: run, Image: testenv.TestImage, Workspace: ws, Script: "sleep 0.2"}
			if res, err := sh.Run(context.Background(), step, nil, nil); err != nil || res.ExitCode != 0 {
				t.Errorf("parallel Run = %+v, %v", res, err)
			}
		}()
	}
	wg.Wait()
	if n := len(sharedContainers(t, r, run)); n != 1 {
		t.Errorf("shared containers after 6 steps = %d; want 1", n)
	}
	other := &runners.Step{ID: "o", RunID: run, Image: "pipeline-test/other:latest", Workspace: ws, Script: "true"}
	if sh.Fits(other) {
		t.Errorf("Fits(step with another image) = true; want false")
	}
	if _, err := sh.Run(context.Background(), other, nil, nil); !errors.Is(err, runners.ErrInvalidStep) {
		t.Errorf("Run(step with another image) = %v; want ErrInvalidStep", err)
	}
	if err := sh.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(containersOf(t, cli, run)); n != 0 {
		t.Errorf("containers after Close = %d; want 0", n)
	}
}

// TestSharedTimeoutKillsTree checks that a timed-out exec's children die
// too while the container (and other steps in it) live on.
func TestSharedTimeoutKillsTree(t *testing.T) {
	r, _ := newTestRunner(t, Options{})
	run := runID(t)
	ws := t.TempDir()
	sh, err := r.Share(context.Background(), &runners.Step{ID: "test.unit", RunID: run, Image: testenv.TestImage, Workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close(context.Background())
	start := time.Now()
	step := &runners.Step{ID: "slow", RunID: run, Image: testenv.TestImage, Workspace: ws, Timeout: 500 * time.Millisecond,
		Script: "sleep 31 & sleep 32 & trap '' TERM; wait"}
	_, err = sh.Run(context.Background(), step, nil, nil)
	if !errors.Is(err, runners.ErrTimeout) {
		t.Fatalf("Run(%q, timeout 500ms) = %v; want ErrTimeout", step.Script, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run(%q) returned after %s; want within the grace period", step.Script, d)
	}
	var out runnertest.Buffer
	ps := &runners.Step{ID: "ps", RunID: run, Image: testenv.TestImage, Workspace: ws, Script: "ps -o args | grep -c '^sleep 3[12]' || true"}
	if res, err := sh.Run(context.Background(), ps, &out, &out); err != nil || res.ExitCode != 0 {
		t.Fatalf("Run(ps) = %+v, %v", res, err)
	}
	if got := strings.TrimSpace(out.String()); got != "0" {
		t.Errorf("sleep processes left in the shared container after the timeout = %s; want 0", got)
	}
}
