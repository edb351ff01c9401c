package engine_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

// whenConfig has steps whose when conditions use operators, functions,
// git values and env(): the kinds of expression the stored plan once
// failed to encode ("json: unsupported type: func(cty.Value, ...)").
const whenConfig = `
pipeline "whens" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}

variable "parallel_tests" {
  type    = number
  default = 2
}

variable "flag" {
  type    = bool
  default = false
}

build "app" {
  step "compile" { run = "echo built" }
  step "fanout" {
    when = var.parallel_tests > 0
    run  = "echo fanout"
  }
  step "main-only" {
    when = git.branch == "main" && length(["a", "b"]) == 2
    run  = "echo main"
  }
  step "not-flag" {
    when = !var.flag
    run  = "echo not flag"
  }
  step "flagged" {
    when = var.flag || upper("x") == "Y"
    run  = "echo flagged"
  }
  step "by-env" {
    when = env("WHEN_SWITCH") == "on"
    run  = "echo switched"
  }
}

environment "production" {
  gate "go-live" {
    approvers = ["carol@example.com"]
  }
  step "rollout" {
    when = var.parallel_tests >= 1
    run  = "echo rolled ${release.version}"
  }
}
`

// sqliteFixture is a fixture on a real SQLite database.
func sqliteFixture(t *testing.T, r *repo) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	store, err := sqlite.Open(ctx(t), path, nil)
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	f := &fixture{repo: r, store: store, env: map[string]string{}, db: path}
	f.eng = engine.New(engine.Options{Store: store, Runners: f.runners(), DefaultRunner: "local",
		ArtifactDir: f.artifacts(), Logger: hclog.NewNullLogger(), PollInterval: 20 * time.Millisecond,
		Getenv: func(k string) (string, bool) { v, ok := f.env[k]; return v, ok }})
	return f
}

// setStoredPlan overwrites the stored plan of run id in f's SQLite
// database, as an older or newer version of pipeline would have written it
// (the store has no call that changes a recorded plan).
func setStoredPlan(t *testing.T, f *fixture, id, doc string) {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(f.db))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE runs SET plan = ? WHERE id = ?`, []byte(doc), id); err != nil {
		t.Fatalf("setting the stored plan of %s: %v", id, err)
	}
}

// TestWhenRunsAndResumes runs a pipeline whose steps have when conditions
// with operators and functions on SQLite: the run records its plan in the
// versioned stored form, stops at the gate, and resumes after the
// approval; every step's fate follows its condition.
func TestWhenRunsAndResumes(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": whenConfig})
	f := sqliteFixture(t, r)
	t.Setenv("WHEN_SWITCH", "on") // the run loads its config with the process environment
	f.env["WHEN_SWITCH"] = "on"   // resume loads it with the engine's
	c := ctx(t)

	res, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	var we *engine.WaitingError
	if !errors.As(err, &we) {
		t.Fatalf("Run = %v; want it to stop at production/go-live", err)
	}
	id := res.Run.ID
	wantFates := map[string]string{
		"build.app.compile":   exec.StatusSucceeded,
		"build.app.fanout":    exec.StatusSucceeded,
		"build.app.main-only": exec.StatusSucceeded,
		"build.app.not-flag":  exec.StatusSucceeded,
		"build.app.flagged":   exec.StatusSkipped,
		"build.app.by-env":    exec.StatusSucceeded,
	}
	for node, want := range wantFates {
		if got := res.Exec.Nodes[node].Status; got != want {
			t.Errorf("Run: node %s = %s; want %s", node, got, want)
		}
	}
	run, err := f.store.GetRun(c, id)
	if err != nil {
		t.Fatalf("GetRun(%s): %v", id, err)
	}
	stored, err := plan.Decode(run.Plan)
	if err != nil {
		t.Fatalf("plan.Decode(stored plan of %s): %v", id, err)
	}
	if stored.Schema != plan.StoredSchema || stored.Plan.Pipeline != "whens" {
		t.Errorf("stored plan = schema %d, pipeline %q; want schema %d, pipeline whens", stored.Schema, stored.Plan.Pipeline, plan.StoredSchema)
	}
	if !strings.Contains(string(run.Plan), `"source":"var.parallel_tests \u003e 0"`) {
		t.Errorf("stored plan does not keep the when source text var.parallel_tests > 0:\n%s", run.Plan)
	}

	if _, err := f.eng.Approve(c, engine.Decision{RunID: id, Gate: "go-live", By: "carol@example.com"}); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	res, err = f.eng.Resume(c, engine.ResumeRequest{RunID: id})
	if err != nil || res.Run.Status != state.StatusSucceeded {
		t.Fatalf("Resume = %v; want the run to succeed", err)
	}
	if got := res.Exec.Nodes["environment.production.rollout"].Status; got != exec.StatusSucceeded {
		t.Errorf("Resume: environment.production.rollout = %s; want succeeded", got)
	}
	if got := res.Exec.Nodes["build.app.fanout"].Status; got != exec.StatusReused {
		t.Errorf("Resume: build.app.fanout = %s; want reused", got)
	}
}

// TestResumeRefusesAnotherPlan refuses to resume a run whose stored plan
// is of an older or unknown schema, or whose steps now plan differently
// (an env() value changed), with code 2 and a message saying what to do.
func TestResumeRefusesAnotherPlan(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, f *fixture, run *state.Run)
		want   []string
	}{
		{"older form without schema", func(t *testing.T, f *fixture, run *state.Run) {
			setStoredPlan(t, f, run.ID, `{"Pipeline":"whens","Nodes":[]}`)
		}, []string{"older version of pipeline", "start a new run"}},
		{"unknown schema", func(t *testing.T, f *fixture, run *state.Run) {
			setStoredPlan(t, f, run.ID, `{"schema":99,"plan":{}}`)
		}, []string{"schema 99", "this version reads schema 1"}},
		{"when changed by env()", func(t *testing.T, f *fixture, run *state.Run) {
			f.env["WHEN_SWITCH"] = "off"
		}, []string{"step build.app.by-env: when was", "restore it, or start a new run"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": whenConfig})
			f := sqliteFixture(t, r)
			t.Setenv("WHEN_SWITCH", "on")
			f.env["WHEN_SWITCH"] = "on"
			c := ctx(t)
			res, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
			if exitCode(err) != 3 {
				t.Fatalf("Run = %v; want it to stop at the gate (code 3)", err)
			}
			run, err := f.store.GetRun(c, res.Run.ID)
			if err != nil {
				t.Fatal(err)
			}
			tc.change(t, f, run)
			if _, err := f.eng.Approve(c, engine.Decision{RunID: run.ID, Gate: "go-live", By: "carol@example.com"}); err != nil {
				t.Fatalf("Approve: %v", err)
			}
			_, err = f.eng.Resume(c, engine.ResumeRequest{RunID: run.ID})
			if !errors.Is(err, engine.ErrNotResumable) || exitCode(err) != 2 {
				t.Fatalf("Resume = %v (code %d); want ErrNotResumable, code 2", err, exitCode(err))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Resume error = %q; want it to contain %q", err, w)
				}
			}
		})
	}
}
