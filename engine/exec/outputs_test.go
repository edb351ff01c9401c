package exec_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/outputs"
)

const outputsPipeline = `
pipeline "outputs" {
  image = "pipeline-test/busybox:latest"
}
secret "token" {
  env = "API_TOKEN"
}
build "webapp" {
  step "compile" {
    secrets = [secret.token]
    run     = <<-EOT
      echo "sha=abc123" >> "$PIPELINE_OUTPUT"
      printf 'notes<<EOF\nline one\nline two\nEOF\n' >> "$PIPELINE_OUTPUT"
      echo "token=$API_TOKEN" >> "$PIPELINE_OUTPUT"
    EOT
  }
  step "describe" {
    needs = [step.compile]
    env   = { SHA = step.compile.outputs.sha }
    run   = "echo built $SHA; echo '${step.compile.outputs.notes}'"
  }
  step "never" {
    needs = [step.compile]
    when  = step.compile.outputs.sha == "something else"
    run   = "echo never"
  }
}
test "unit" {
  step "report" {
    run = "test -f fail-report && exit 1; echo report ${build.webapp.step.compile.outputs.sha}"
  }
}
`

// TestOutputsReadByDependents: a step's outputs reach the steps that depend
// on it, in the same stage and in a later one, in run, env and when; they
// are stored masked in the versioned form.
func TestOutputsReadByDependents(t *testing.T) {
	const secret = "tok-SECRET-9876"
	f := newFixture(t)
	opts := f.options()
	opts.Secrets = map[string]string{"token": secret}
	res := run(t, loadPlan(t, outputsPipeline), opts)
	checkStatuses(t, res, map[string]string{
		"build.webapp.compile": "succeeded", "build.webapp.describe": "succeeded",
		"build.webapp.never": "skipped", "test.unit.report": "succeeded",
	})
	if got, want := f.logText(t, "build.webapp.describe"), "1:stdout:built abc123\n1:stdout:line one\n1:stdout:line two\n"; got != want {
		t.Errorf("describe log = %q; want %q", got, want)
	}
	if got, want := f.logText(t, "test.unit.report"), "1:stdout:report abc123\n"; got != want {
		t.Errorf("report log = %q; want %q", got, want)
	}
	if got := reasonOf(res, "build.webapp.never"); !strings.Contains(got, "when condition is false") {
		t.Errorf("never reason = %q; want a false when condition", got)
	}
	recs, err := f.store.Outputs(context.Background(), f.runID)
	require.NoError(t, err)
	if len(recs) != 1 || recs[0].NodeID != "build.webapp.compile" {
		t.Fatalf("stored outputs = %v; want one record, of build.webapp.compile", recs)
	}
	if strings.Contains(string(recs[0].Data), "SECRET") {
		t.Errorf("stored outputs %s hold the secret; want it masked", recs[0].Data)
	}
	got, err := outputs.Decode(recs[0].Data)
	require.NoError(t, err)
	want := map[string]string{"sha": "abc123", "notes": "line one\nline two", "token": "***"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored outputs (-want +got):\n%s", diff)
	}
}

// TestOutputsSurviveResume: a resumed run gives the recorded outputs of a
// step it does not run again to the steps that read them.
func TestOutputsSurviveResume(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.Secrets = map[string]string{"token": "tok-SECRET-9876"}
	p := loadPlan(t, outputsPipeline)
	require.NoError(t, os.WriteFile(filepath.Join(f.workspace, "fail-report"), nil, 0o644))
	res := run(t, p, opts)
	if res.Status != exec.StatusFailed || res.Nodes["test.unit.report"].Status != exec.StatusFailed {
		t.Fatalf("first run: status %q, report %q; want the report to fail", res.Status, res.Nodes["test.unit.report"].Status)
	}
	require.NoError(t, os.Remove(filepath.Join(f.workspace, "fail-report")))
	opts.Done = map[string]bool{"build.webapp.compile": true, "build.webapp.describe": true, "build.webapp.never": true, "build.webapp": true}
	res = run(t, p, opts)
	checkStatuses(t, res, map[string]string{
		"build.webapp.compile": "reused", "build.webapp.describe": "reused", "build.webapp.never": "reused",
		"test.unit.report": "succeeded",
	})
	if got, want := f.logText(t, "test.unit.report"), "2:stdout:report abc123\n"; !strings.HasSuffix(got, want) {
		t.Errorf("report log after resume = %q; want it to end with %q", got, want)
	}
}

// TestOutputsInvalidFileFailsStep: a step that writes a line that is not
// KEY=VALUE fails, with the reason naming the line.
func TestOutputsInvalidFileFailsStep(t *testing.T) {
	f := newFixture(t)
	res := run(t, loadPlan(t, `
pipeline "bad" {
  image = "pipeline-test/busybox:latest"
}
build "app" {
  step "writes" {
    run = "echo 'not an output' >> \"$PIPELINE_OUTPUT\""
  }
}
`), f.options())
	checkStatuses(t, res, map[string]string{"build.app.writes": "failed"})
	if got := reasonOf(res, "build.app.writes"); !strings.Contains(got, "line 1") || !strings.Contains(got, "KEY=VALUE") {
		t.Errorf("reason = %q; want it to name line 1 and the KEY=VALUE form", got)
	}
}
