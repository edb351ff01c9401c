package exec_test

import (
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/internal/testenv"
)

// TestDockerMatrixRunsEveryCombination runs a 2x2 matrix step on the real
// Docker engine: four containers, each with its own combination's values,
// and a step that needs the matrix step runs after all four.
func TestDockerMatrixRunsEveryCombination(t *testing.T) {
	f, cli := dockerFixture(t)
	p := loadPlan(t, `
pipeline "m" {
  image = "`+testenv.TestImage+`"
}
template "base" {
  env = { SHARED = "from-template" }
}
test "unit" {
  step "go-test" {
    extends = template.base
    matrix  = { go = ["1.25", "1.26"], arch = ["amd64", "arm64"] }
    env     = { GOARCH = matrix.arch }
    run     = "echo go=${matrix.go} arch=$GOARCH shared=$SHARED host=$(hostname)"
  }
  step "report" {
    needs = [step.go-test]
    run   = "echo after all"
  }
}
`)
	res := run(t, p, f.options())
	if res.Status != exec.StatusSucceeded {
		t.Fatalf("Run status = %q; want succeeded: %v", res.Status, statuses(res))
	}
	hosts := map[string]bool{}
	var lastMatrixEnd = res.Nodes["test.unit.report"].Started
	for _, c := range []struct{ goV, arch string }{{"1.25", "amd64"}, {"1.25", "arm64"}, {"1.26", "amd64"}, {"1.26", "arm64"}} {
		id := "test.unit.go-test[go=" + c.goV + ",arch=" + c.arch + "]"
		nr := res.Nodes[id]
		if nr == nil || nr.Status != exec.StatusSucceeded {
			t.Fatalf("node %s = %+v; want succeeded", id, nr)
		}
		if nr.Finished.After(lastMatrixEnd) {
			t.Errorf("%s finished at %v, after test.unit.report started at %v; report must wait for every combination", id, nr.Finished, lastMatrixEnd)
		}
		log := f.logText(t, id)
		want := "1:stdout:go=" + c.goV + " arch=" + c.arch + " shared=from-template host="
		if !strings.HasPrefix(log, want) {
			t.Errorf("log of %s = %q; want it to start with %q", id, log, want)
		}
		hosts[strings.TrimSpace(log[strings.LastIndex(log, "host=")+5:])] = true
	}
	if len(hosts) != 4 {
		t.Errorf("the combinations ran in %d distinct containers (hostnames %v); want 4", len(hosts), hosts)
	}
	if left := containers(t, cli, f.runID); len(left) != 0 {
		t.Errorf("containers left after Run: %d; want none", len(left))
	}
}

// TestDockerOutputReadByDependentStep: a step in a container appends to
// $PIPELINE_OUTPUT (a directory the runner mounts); a later step, in
// another container, reads the value in run and env.
func TestDockerOutputReadByDependentStep(t *testing.T) {
	f, cli := dockerFixture(t)
	p := loadPlan(t, `
pipeline "o" {
  image = "`+testenv.TestImage+`"
}
build "app" {
  step "compile" {
    run = "echo \"sha=$(echo hello | sha256sum | cut -c1-12)\" >> \"$PIPELINE_OUTPUT\"; echo \"where=$PIPELINE_OUTPUT\" >> \"$PIPELINE_OUTPUT\""
  }
}
test "unit" {
  step "read" {
    env = { SHA = build.app.step.compile.outputs.sha }
    run = "echo sha=$SHA from ${build.app.step.compile.outputs.where}"
  }
}
`)
	res := run(t, p, f.options())
	if res.Status != exec.StatusSucceeded {
		t.Fatalf("Run status = %q; want succeeded: %v", res.Status, statuses(res))
	}
	if got, want := f.logText(t, "test.unit.read"), "1:stdout:sha=5891b5b522d5 from /pipeline/output/output\n"; got != want {
		t.Errorf("read log = %q; want %q", got, want)
	}
	if left := containers(t, cli, f.runID); len(left) != 0 {
		t.Errorf("containers left after Run: %d; want none", len(left))
	}
}

// TestDockerAlwaysRunsAfterFailure: on the Docker engine, an always() step
// runs in its own container after the step it needs failed, and the run
// still fails.
func TestDockerAlwaysRunsAfterFailure(t *testing.T) {
	f, cli := dockerFixture(t)
	p := loadPlan(t, `
pipeline "a" {
  image = "`+testenv.TestImage+`"
}
test "unit" {
  step "go-test" {
    run = "echo failing; exit 7"
  }
  step "cleanup" {
    needs = [step.go-test]
    when  = always()
    run   = "echo cleaning up after the failure"
  }
}
`)
	res := run(t, p, f.options())
	checkStatuses(t, res, map[string]string{"test.unit.go-test": "failed", "test.unit.cleanup": "succeeded"})
	if res.Status != exec.StatusFailed {
		t.Errorf("Run status = %q; want failed", res.Status)
	}
	if got := res.Nodes["test.unit.go-test"].ExitCode; got != 7 {
		t.Errorf("go-test exit code = %d; want 7", got)
	}
	if got, want := f.logText(t, "test.unit.cleanup"), "1:stdout:cleaning up after the failure\n"; got != want {
		t.Errorf("cleanup log = %q; want %q", got, want)
	}
	if left := containers(t, cli, f.runID); len(left) != 0 {
		t.Errorf("containers left after Run: %d; want none", len(left))
	}
}
