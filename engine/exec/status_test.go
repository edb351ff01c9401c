package exec_test

import (
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/exec"
)

const statusPipeline = `
pipeline "status" {
  image = "pipeline-test/busybox:latest"
}
test "unit" {
  step "ok" {
    run = "echo ok"
  }
  step "broken" {
    run = "echo broken; exit 3"
  }
  step "cleanup" {
    needs = [step.broken, step.ok]
    when  = always()
    run   = "echo cleaning up"
  }
  step "alert" {
    needs = [step.broken]
    when  = failure()
    run   = "echo alerting"
  }
  step "quiet" {
    needs = [step.ok]
    when  = failure()
    run   = "echo never"
  }
  step "after-cleanup" {
    needs = [step.cleanup]
    run   = "echo never either"
  }
  step "gated" {
    needs = [step.broken]
    when  = always() && 1 == 2
    run   = "echo never"
  }
}
test "later" {
  needs = [test.unit]
  step "bundle" {
    run = "echo never built"
  }
}
`

// TestWhenStatusFunctions: always() runs after a failure, failure() only
// when something it depends on failed, success() (the default) not after a
// failure even through an always() step, and the stage still fails so
// later stages do not run.
func TestWhenStatusFunctions(t *testing.T) {
	f := newFixture(t)
	res := run(t, loadPlan(t, statusPipeline), f.options())
	checkStatuses(t, res, map[string]string{
		"test.unit.ok": "succeeded", "test.unit.broken": "failed",
		"test.unit.cleanup": "succeeded", "test.unit.alert": "succeeded",
		"test.unit.quiet": "skipped", "test.unit.after-cleanup": "skipped",
		"test.unit.gated": "skipped", "test.later.bundle": "skipped",
	})
	if res.Status != exec.StatusFailed {
		t.Errorf("Run status = %q; want failed", res.Status)
	}
	if got := f.logText(t, "test.unit.cleanup"); got != "1:stdout:cleaning up\n" {
		t.Errorf("cleanup log = %q; want it to have run", got)
	}
	if got := f.logText(t, "test.unit.alert"); got != "1:stdout:alerting\n" {
		t.Errorf("alert log = %q; want it to have run", got)
	}
	for id, want := range map[string]string{
		"test.unit.quiet":         "failure(), and nothing this step depends on failed",
		"test.unit.after-cleanup": "skipped: test.unit.broken failed",
		"test.unit.gated":         "when condition is false",
	} {
		if got := reasonOf(res, id); !strings.Contains(got, want) {
			t.Errorf("reason of %s = %q; want it to contain %q", id, got, want)
		}
	}
}
