package exec_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
)

// TestDockerSharedStage runs a container = "shared" stage on the real
// engine: its steps share one container (a file one writes under /tmp is
// read by the next), each with its own env and secrets (masked in the exec
// output), a timeout and a retry happen inside it, a step with another
// image gets its own container, and no container is left.
func TestDockerSharedStage(t *testing.T) {
	f, cli := dockerFixture(t)
	const secret = "s3cr3t-value-for-exec"
	// "own" names a tag of the test image of its own, unique to this test
	// process, so the step with another image really runs in a container
	// of its own.
	other := fmt.Sprintf("pipeline-test/busybox:other-%d-%d", os.Getpid(), time.Now().UnixNano())
	if err := cli.ImageTag(context.Background(), testenv.TestImage, other); err != nil {
		t.Fatalf("tag %s as %s: %v", testenv.TestImage, other, err)
	}
	t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), other, image.RemoveOptions{}) })
	p := loadPlan(t, `
pipeline "d" {
  image = "`+testenv.TestImage+`"
}
secret "token" {
  env = "TOKEN"
}
build "app" {
  container = "shared"
  step "first" {
    env     = { WHO = "first" }
    secrets = [secret.token]
    run     = "echo $WHO; echo token=$TOKEN; hostname > /tmp/host; echo 0 > /tmp/tries"
  }
  step "second" {
    needs = [step.first]
    env   = { WHO = "second" }
    run   = "echo $WHO; test \"$(hostname)\" = \"$(cat /tmp/host)\" && echo same container; echo \"token=[$TOKEN]\""
  }
  step "flaky" {
    needs   = [step.first]
    retries = 1
    run     = "n=$(cat /tmp/tries); echo $((n+1)) > /tmp/tries; echo attempt $((n+1)); test $n -ge 1"
  }
  step "slow" {
    needs   = [step.first]
    timeout = "1s"
    run     = "sleep 30"
  }
  step "own" {
    image = "`+other+`"
    run   = "true"
  }
}
`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evs, _ := cli.Events(ctx, events.ListOptions{Filters: filters.NewArgs(
		filters.Arg("type", "container"), filters.Arg("event", "create"),
		filters.Arg("label", runners.LabelRun+"="+f.runID))})
	created := make(chan string, 16)
	go func() {
		for e := range evs {
			created <- e.Actor.Attributes[runners.LabelStep]
		}
	}()

	opts := f.options()
	opts.Runner = f.runner.Runner // the docker runner itself: it can share
	opts.Secrets = map[string]string{"token": secret}
	res := run(t, p, opts)
	if got := res.Nodes["build.app.slow"].Status; got != exec.StatusTimedOut {
		t.Errorf("slow status = %q; want %q", got, exec.StatusTimedOut)
	}
	for _, id := range []string{"build.app.first", "build.app.second", "build.app.flaky", "build.app.own"} {
		if got := res.Nodes[id].Status; got != exec.StatusSucceeded {
			t.Errorf("%s status = %q (%s); want succeeded", id, got, res.Nodes[id].Reason)
		}
	}
	if got := res.Nodes["build.app.flaky"].Attempts; got != 2 {
		t.Errorf("flaky attempts = %d; want 2", got)
	}
	if got, want := f.logText(t, "build.app.first"), "1:stdout:first\n1:stdout:token=***\n"; got != want {
		t.Errorf("first log = %q; want %q", got, want)
	}
	if got, want := f.logText(t, "build.app.second"), "1:stdout:second\n1:stdout:same container\n1:stdout:token=[]\n"; got != want {
		t.Errorf("second log = %q; want %q (the secret is only in the env of steps that list it)", got, want)
	}
	if got, want := f.logText(t, "build.app.flaky"), "1:stdout:attempt 1\n2:stdout:attempt 2\n"; got != want {
		t.Errorf("flaky log = %q; want %q", got, want)
	}
	if out := f.out.String(); strings.Contains(out, secret) {
		t.Errorf("the secret reached the output:\n%s", out)
	}
	time.Sleep(500 * time.Millisecond) // let the last events arrive
	cancel()
	var steps []string
	for done := false; !done; {
		select {
		case s := <-created:
			steps = append(steps, s)
		default:
			done = true
		}
	}
	sort.Strings(steps)
	if got := strings.Join(steps, ","); got != "build.app,build.app.own" {
		t.Errorf("containers created for steps %q; want one shared (build.app) and one for build.app.own", got)
	}
	if left := containers(t, cli, f.runID); len(left) != 0 {
		t.Errorf("containers left after Run: %d; want none", len(left))
	}
}
