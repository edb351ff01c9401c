package exec_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/runners"
)

const releasePipeline = `
pipeline "rel" {
  image = "pipeline-test/busybox:latest"
}
package "webapp" {
  step "tar" { run = "echo packing" }
}
environment "beta" {
  step "rollout" { run = "echo deploying ${release.version}" }
  step "notify" {
    needs = [step.rollout]
    run   = "echo notified"
  }
}
`

// okHandler succeeds every non-step node, like a facade whose release and
// deployment bookkeeping went well.
type okHandler struct{ panicOn plan.NodeKind }

func (h okHandler) RunNode(ctx context.Context, n *plan.Node) error {
	if n.Kind == h.panicOn {
		panic("handler bug")
	}
	return nil
}

func TestDefaultResolveRefusesUnknownValues(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.Handler = okHandler{}
	res := run(t, loadPlan(t, releasePipeline), opts)
	n := res.Nodes["environment.beta.rollout"]
	if n.Status != exec.StatusFailed || !strings.Contains(n.Reason, "release.version") || !strings.Contains(n.Reason, "known after") {
		t.Errorf("rollout = %q (%q); want failed naming release.version as not known yet", n.Status, n.Reason)
	}
	checkStatuses(t, res, map[string]string{
		"package.webapp.tar":       "succeeded",
		"release":                  "succeeded",
		"environment.beta":         "succeeded",
		"environment.beta.rollout": "failed",
		"environment.beta.notify":  "skipped",
	})
	for _, c := range f.runner.calls {
		if c == "environment.beta.rollout" {
			t.Errorf("rollout reached the runner with an unknown value")
		}
	}
}

func TestResolve(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.Handler = okHandler{}
	opts.Resolve = func(n *plan.Node, _ map[string]map[string]string) (*runners.Step, error) {
		switch n.ID {
		case "environment.beta.notify":
			return nil, fmt.Errorf("%w: release.version is a pre-release", exec.ErrWhenFalse)
		case "environment.beta.rollout":
			return &runners.Step{Script: "echo deploying 1.2.3 to $TARGET", Env: map[string]string{"TARGET": "beta"}}, nil
		default:
			return &runners.Step{Script: n.Step.Values.Run.Value}, nil
		}
	}
	res := run(t, loadPlan(t, releasePipeline), opts)
	checkStatuses(t, res, map[string]string{
		"package.webapp.tar":       "succeeded",
		"release":                  "succeeded",
		"environment.beta":         "succeeded",
		"environment.beta.rollout": "succeeded",
		"environment.beta.notify":  "skipped",
	})
	if got, want := f.logText(t, "environment.beta.rollout"), "1:stdout:deploying 1.2.3 to beta\n"; got != want {
		t.Errorf("rollout log = %q; want %q", got, want)
	}
	if got, want := reasonOf(res, "environment.beta.notify"), "when condition is false: release.version is a pre-release"; got != want {
		t.Errorf("notify reason = %q; want %q", got, want)
	}
}

func TestHandlerPanicFailsNode(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.Handler = okHandler{panicOn: plan.KindRelease}
	res, err := exec.Run(context.Background(), loadPlan(t, releasePipeline), opts)
	if err != nil {
		t.Fatalf("Run() error = %v; want the panic reported on the node", err)
	}
	n := res.Nodes["release"]
	if n.Status != exec.StatusFailed || !strings.Contains(n.Reason, "internal error: handler bug") {
		t.Errorf("release = %q (%q); want failed with the panic as an internal error", n.Status, n.Reason)
	}
	if got := reasonOf(res, "environment.beta.rollout"); got != "skipped: release failed" {
		t.Errorf("rollout reason = %q; want %q", got, "skipped: release failed")
	}
}

// TestLogsRecordedWhileRunning checks that output reaches the store while
// the step still runs, so a crash leaves a true record.
func TestLogsRecordedWhileRunning(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "stream" {
  image = "pipeline-test/busybox:latest"
}
build "app" {
  step "slow" { run = "echo first; sleep 1.5; echo second" }
}
`)
	seen := make(chan time.Duration, 1)
	start := time.Now()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		for ctx.Err() == nil {
			lines, err := f.store.Logs(context.Background(), f.runID, "build.app.slow")
			if err == nil && len(lines) > 0 {
				seen <- time.Since(start)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	res := run(t, p, f.options())
	stop()
	select {
	case at := <-seen:
		if at > time.Second {
			t.Errorf("first line reached the store after %v; want well before the step ended", at)
		}
	default:
		t.Errorf("no line reached the store while the step ran")
	}
	if res.Status != exec.StatusSucceeded {
		t.Errorf("Run status = %q; want succeeded", res.Status)
	}
	if f.logText(t, "build.app.slow") != "1:stdout:first\n1:stdout:second\n" {
		t.Errorf("log = %q; want both lines", f.logText(t, "build.app.slow"))
	}
}
