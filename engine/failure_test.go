package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
)

const twoFailures = `
pipeline "multi" {
  image = "busybox"
}

build "app" {
  step "a" { run = "exit 1" }
  step "b" { run = "exit 2" }
  step "c" { run = "true" }
}
`

// TestFailedRunNamesEveryFailedNode checks that the error of a run in
// which several steps failed lists them all, not only the first.
func TestFailedRunNamesEveryFailedNode(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": twoFailures})
	f := newFixture(t, r)
	c := ctx(t)
	res, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if !errors.Is(err, engine.ErrRunFailed) {
		t.Fatalf("Run() error = %v; want ErrRunFailed", err)
	}
	if want := "run " + res.Run.ID + " failed: "; !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "run failed") {
		t.Errorf("Run() error = %q; want it to begin %q, saying once that the run failed", err, want)
	}
	run, gerr := f.store.GetRun(c, res.Run.ID)
	if gerr != nil {
		t.Fatalf("GetRun(%s): %v", res.Run.ID, gerr)
	}
	for _, where := range []struct{ name, text string }{{"error", err.Error()}, {"run reason", run.Reason}} {
		for _, want := range []string{"build.app.a", "2 nodes failed: build.app.a, build.app.b"} {
			if !strings.Contains(where.text, want) {
				t.Errorf("%s = %q; want it to contain %q", where.name, where.text, want)
			}
		}
		if strings.Contains(where.text, "build.app.c") {
			t.Errorf("%s = %q; want the step that succeeded left out", where.name, where.text)
		}
	}
}

// TestResumeFinishedRun checks the message of a resume of a run that has
// nothing left to do.
func TestResumeFinishedRun(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": strings.ReplaceAll(twoFailures, "exit ", "true ")})
	f := newFixture(t, r)
	c := ctx(t)
	res, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if err != nil {
		t.Fatalf("Run() = %v; want success", err)
	}
	_, err = f.eng.Resume(c, engine.ResumeRequest{RunID: res.Run.ID})
	if !errors.Is(err, engine.ErrNotResumable) || exitCode(err) != engine.CodeInvalid {
		t.Fatalf("Resume(%s) = %v (code %d); want ErrNotResumable, code 2", res.Run.ID, err, exitCode(err))
	}
	want := "run " + res.Run.ID + " already succeeded; nothing to resume"
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "()") {
		t.Errorf("Resume(%s) error = %q; want it to say %q", res.Run.ID, err, want)
	}
}
