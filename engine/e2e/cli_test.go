package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/view"
)

const dockerSteps = `
pipeline "box" {
  image = "busybox"
}
build "app" {
  step "compile" { run = "echo compiled" }
  step "skipped" {
    when = false
    run  = "echo never"
  }
}
`

func TestDockerUnreachable(t *testing.T) {
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": dockerSteps})
	env := []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"}
	res := r.must(1, env, "run")
	if !strings.Contains(res.stderr, "Docker") || !strings.Contains(res.stderr, "DOCKER_HOST") {
		t.Errorf("run with an unreachable Docker engine: stderr %q does not explain the Docker problem", res.stderr)
	}
	if strings.Contains(res.stderr, "goroutine") || strings.Contains(res.stderr, "panic") {
		t.Errorf("stderr shows a Go panic: %s", res.stderr)
	}
	runs := decode[view.Runs](t, r.must(0, nil, "runs", "--json").stdout).Runs
	if len(runs) != 0 {
		t.Errorf("runs after a failed start = %+v; want none recorded", runs)
	}
}

func TestDryRun(t *testing.T) {
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": dockerSteps})
	env := []string{"DOCKER_HOST=unix:///nonexistent/docker.sock"}
	res := r.must(0, env, "run", "--dry-run", "--plain")
	for _, want := range []string{"would run in busybox: echo compiled", "when condition is false"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("dry run output does not show %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "] compiled") {
		t.Errorf("dry run ran the step:\n%s", res.stdout)
	}
	if _, err := os.Stat(filepath.Join(r.dir, ".pipeline")); !os.IsNotExist(err) {
		t.Errorf("dry run touched the state store: .pipeline exists (%v)", err)
	}
}

func TestSignalCancelsRun(t *testing.T) {
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": `
pipeline "slow" {
  image = "busybox"
}
build "app" {
  step "wait" { run = "mkdir -p counts && touch counts/wait.started && sleep 30" }
}
`})
	cmd, out := r.start(nil, "run", "--runner", "local", "--plain")
	r.waitFor("counts/wait.started", 30*time.Second)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	elapsed := time.Since(start)
	b, _ := os.ReadFile(out)
	if cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("run after SIGTERM exited %v (%d); want 1\n%s", err, cmd.ProcessState.ExitCode(), b)
	}
	// The local runner's stop grace is 10 s at most; the run must end
	// within grace + 1 s.
	if elapsed > 11*time.Second {
		t.Errorf("run took %s to stop after SIGTERM; want within the grace period plus a second", elapsed)
	}
	id := runID(t, string(b))
	runs := decode[view.Runs](t, r.must(0, nil, "runs", "--json").stdout).Runs
	if len(runs) != 1 || runs[0].ID != id || runs[0].Status != "cancelled" {
		t.Errorf("runs after SIGTERM = %+v; want run %s cancelled", runs, id)
	}
}
