package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
)

const sharedStage = `
pipeline "shared" {
  image = "pipeline-test/busybox:latest"
}

build "app" {
  container = "shared"
  step "prepare" {
    pull = "never"
    run  = "mkdir -p counts && echo prepared"
  }
  step "long" {
    needs = [step.prepare]
    pull  = "never"
    run   = "touch counts/long.started; sleep 60"
  }
}
`

// runContainers lists the containers labelled with run id.
func runContainers(t *testing.T, cli *client.Client, id string) []container.Summary {
	t.Helper()
	list, err := cli.ContainerList(context.Background(), container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", runners.LabelRun+"="+id))})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestKillDuringSharedExec kills `pipeline run` with SIGKILL while a step
// runs as an exec in its stage's shared container: the container is left
// (nobody could remove it) and `pipeline gc` removes it.
func TestKillDuringSharedExec(t *testing.T) {
	testenv.RequireTestImage(t)
	cli := testenv.RequireDocker(t)
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": sharedStage})
	cmd, out := r.start(nil, "run", "--plain")
	r.waitFor("counts/long.started", 60*time.Second)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	id := runID(t, string(b))
	left := runContainers(t, cli, id)
	if len(left) != 1 || left[0].Labels[runners.LabelShared] != "true" {
		t.Fatalf("containers of the killed run = %+v; want its one shared container (the test proves nothing otherwise)", left)
	}
	r.must(0, nil, "gc")
	if left := runContainers(t, cli, id); len(left) != 0 {
		t.Errorf("containers of run %s after pipeline gc = %d; want 0", id, len(left))
	}
}

// TestSharedStageRun runs a shared stage to its end through the CLI and
// checks that its container is gone when the run ends.
func TestSharedStageRun(t *testing.T) {
	testenv.RequireTestImage(t)
	cli := testenv.RequireDocker(t)
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": `
pipeline "shared" {
  image = "pipeline-test/busybox:latest"
}
build "app" {
  container = "shared"
  step "a" { run = "hostname" }
  step "b" {
    needs = [step.a]
    run   = "hostname"
  }
}
`})
	res := r.must(0, nil, "run", "--plain")
	id := runID(t, res.stdout)
	if left := runContainers(t, cli, id); len(left) != 0 {
		t.Errorf("containers of run %s after it ended = %d; want 0", id, len(left))
	}
	a := r.must(0, nil, "logs", id, "build.app.a").stdout
	b := r.must(0, nil, "logs", id, "build.app.b").stdout
	if a == "" || a != b {
		t.Errorf("hostname in a = %q, in b = %q; want the same (one container)", a, b)
	}
}
