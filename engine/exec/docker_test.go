package exec_test

import (
	"context"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/docker"
)

// dockerFixture is a fixture whose runner is the real Docker engine.
func dockerFixture(t *testing.T) (*fixture, *client.Client) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: skipping a test against the Docker engine")
	}
	cli := testenv.RequireDocker(t)
	testenv.RequireTestImage(t)
	f := newFixture(t)
	f.runID = "exec-" + t.Name() + "-" + time.Now().Format("150405.000000")
	require := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	require(f.store.CreateRun(context.Background(), runRecord(f.runID)))
	f.runner.Runner = docker.New(cli, docker.Options{StopGrace: time.Second}, nil)
	return f, cli
}

// containers lists every container of the run, running or not.
func containers(t *testing.T, cli *client.Client, runID string) []container.Summary {
	t.Helper()
	list, err := cli.ContainerList(context.Background(), container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", runners.LabelRun+"="+runID)),
	})
	if err != nil {
		t.Fatalf("list containers: %v", err)
	}
	return list
}

func TestDockerRunLeavesNoContainer(t *testing.T) {
	f, cli := dockerFixture(t)
	p := loadPlan(t, `
pipeline "d" {
  image = "`+testenv.TestImage+`"
}
build "app" {
  step "hello" {
    env = { GREETING = "hello" }
    run = "echo $GREETING from docker; pwd"
  }
}
`)
	res := run(t, p, f.options())
	if res.Status != exec.StatusSucceeded {
		t.Fatalf("Run status = %q (%v); want succeeded", res.Status, res.Nodes["build.app.hello"])
	}
	if got, want := f.logText(t, "build.app.hello"), "1:stdout:hello from docker\n1:stdout:"+runners.WorkspaceMount+"\n"; got != want {
		t.Errorf("log = %q; want %q", got, want)
	}
	if left := containers(t, cli, f.runID); len(left) != 0 {
		t.Errorf("containers left after Run: %d; want none", len(left))
	}
}

func TestDockerCancelStopsAndRemovesContainers(t *testing.T) {
	f, cli := dockerFixture(t)
	p := loadPlan(t, `
pipeline "d" {
  image = "`+testenv.TestImage+`"
}
build "app" {
  step "long1" { run = "echo started; sleep 30" }
  step "long2" { run = "sleep 30" }
}
test "unit" {
  step "after" { run = "true" }
}
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt time.Time
	go func() {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			running := 0
			for _, c := range containers(t, cli, f.runID) {
				if c.State == "running" {
					running++
				}
			}
			if running == 2 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancelledAt = time.Now()
		cancel()
	}()
	res, err := exec.Run(ctx, p, f.options())
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(cancelledAt); took > 2*time.Second {
		t.Errorf("Run returned %v after cancellation; want within the 1s grace plus a second", took)
	}
	if res.Status != exec.StatusCancelled {
		t.Errorf("Run status = %q; want cancelled", res.Status)
	}
	checkStatuses(t, res, map[string]string{
		"build.app.long1": "cancelled", "build.app.long2": "cancelled", "test.unit.after": "cancelled",
	})
	if left := containers(t, cli, f.runID); len(left) != 0 {
		t.Errorf("containers left after a cancelled run: %d; want none", len(left))
	}
}
