package engine_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

// twoSignOffs has a gate named "sign-off" in two environments, each with
// its own approvers.
const twoSignOffs = `
pipeline "webapp" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}

build "app" {
  step "compile" { run = "echo built" }
}

environment "beta" {
  gate "sign-off" {
    approvers = ["dave@example.com"]
  }
  step "rollout" { run = "echo beta >> deploy.log" }
}

environment "production" {
  requires = [environment.beta]
  gate "sign-off" {
    approvers = ["carol@example.com"]
  }
  step "rollout" { run = "echo production >> deploy.log" }
}
`

// TestSameGateNameInTwoEnvironments runs a pipeline whose beta and
// production environments both have a gate "sign-off": each is recorded,
// approved and checked on its own, a bare "sign-off" is refused as
// ambiguous, and the run proceeds gate by gate. It runs on the memory
// store and on a real SQLite database.
func TestSameGateNameInTwoEnvironments(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) state.Store
	}{
		{"memory", func(t *testing.T) state.Store { return memory.New() }},
		{"sqlite", func(t *testing.T) state.Store {
			s, err := sqlite.Open(ctx(t), filepath.Join(t.TempDir(), "state.db"), nil)
			if err != nil {
				t.Fatalf("sqlite.Open: %v", err)
			}
			return s
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": twoSignOffs})
			store := st.open(t)
			t.Cleanup(func() { _ = store.Close() })
			f := &fixture{repo: r, store: store, env: map[string]string{}}
			f.eng = engine.New(engine.Options{Store: store, Runners: f.runners(), DefaultRunner: "local",
				ArtifactDir: f.artifacts(), Logger: hclog.NewNullLogger(), PollInterval: 20 * time.Millisecond})
			testSameGateName(t, f)
		})
	}
}

func testSameGateName(t *testing.T, f *fixture) {
	c := ctx(t)
	res, err := f.eng.Run(c, engine.RunRequest{Config: f.repo.load()})
	var we *engine.WaitingError
	if !errors.As(err, &we) || len(we.Gates) != 1 || we.Gates[0].Environment != "beta" {
		t.Fatalf("Run = %v; want waiting at beta's gate only", err)
	}
	id := res.Run.ID
	if got, want := we.Gates[0].Command(), "pipeline approve "+id+" beta/sign-off"; got != want {
		t.Errorf("Command() = %q; want %q (the bare name is ambiguous)", got, want)
	}

	_, err = f.eng.Approve(c, engine.Decision{RunID: id, Gate: "sign-off", By: "dave@example.com"})
	if !errors.Is(err, engine.ErrAmbiguousGate) || exitCode(err) != 2 ||
		!strings.Contains(err.Error(), "beta/sign-off") || !strings.Contains(err.Error(), "production/sign-off") {
		t.Errorf("Approve(sign-off) = %v (code %d); want ErrAmbiguousGate, code 2, listing beta/sign-off and production/sign-off", err, exitCode(err))
	}
	if _, err := f.eng.Approve(c, engine.Decision{RunID: id, Gate: "production/sign-off", By: "carol@example.com"}); exitCode(err) != 2 {
		t.Errorf("Approve(production/sign-off) before production is reached = %v (code %d); want code 2", err, exitCode(err))
	}
	// Each gate has its own approvers: production's approver cannot pass beta's gate.
	if _, err := f.eng.Approve(c, engine.Decision{RunID: id, Gate: "beta/sign-off", By: "carol@example.com"}); !errors.Is(err, rules.ErrNotApprover) {
		t.Errorf("Approve(beta/sign-off) by carol = %v; want rules.ErrNotApprover", err)
	}
	dec, err := f.eng.Approve(c, engine.Decision{RunID: id, Gate: "beta/sign-off", By: "dave@example.com"})
	if err != nil {
		t.Fatalf("Approve(beta/sign-off) by dave: %v", err)
	}
	if dec.Gate.Environment != "beta" || dec.Gate.Status != "approved" {
		t.Errorf("approved gate = %+v; want beta's, approved", dec.Gate)
	}

	res, err = f.eng.Resume(c, engine.ResumeRequest{RunID: id})
	if !errors.As(err, &we) || len(we.Gates) != 1 || we.Gates[0].Environment != "production" || we.Gates[0].Arg() != "production/sign-off" {
		t.Fatalf("Resume after beta's approval = %v; want waiting at production/sign-off", err)
	}
	assertDeployments(t, f, "beta", "dave@example.com")
	assertDeployments(t, f, "production", "")
	if g, err := f.store.GetGate(c, id, "production/sign-off"); err != nil || g.Environment != "production" || g.Status != "waiting" {
		t.Errorf("GetGate(production/sign-off) = %+v, %v; want production's gate, waiting", g, err)
	}

	if _, err := f.eng.Approve(c, engine.Decision{RunID: id, Gate: "production/sign-off", By: "dave@example.com"}); !errors.Is(err, rules.ErrNotApprover) {
		t.Errorf("Approve(production/sign-off) by dave = %v; want rules.ErrNotApprover", err)
	}
	if _, err := f.eng.Approve(c, engine.Decision{RunID: id, Gate: "production/sign-off", By: "carol@example.com"}); err != nil {
		t.Fatalf("Approve(production/sign-off) by carol: %v", err)
	}
	res, err = f.eng.Resume(c, engine.ResumeRequest{RunID: id})
	if err != nil || res.Run.Status != state.StatusSucceeded {
		t.Fatalf("Resume after production's approval = %v; want the run to succeed", err)
	}
	assertDeployments(t, f, "beta", "dave@example.com")
	assertDeployments(t, f, "production", "carol@example.com")
	for _, want := range []struct{ key, env string }{{"beta/sign-off", "beta"}, {"production/sign-off", "production"}} {
		g, err := f.store.GetGate(c, id, want.key)
		if err != nil || g.Environment != want.env || g.Status != "approved" {
			t.Errorf("GetGate(%q) = %+v, %v; want %s's gate, approved", want.key, g, err, want.env)
		}
	}
}

// assertDeployments checks that env has exactly one succeeded deployment
// approved by approver, or none when approver is "".
func assertDeployments(t *testing.T, f *fixture, env, approver string) {
	t.Helper()
	h, err := f.eng.History(ctx(t), "webapp", env, 0)
	if err != nil {
		t.Fatalf("History(%s): %v", env, err)
	}
	if approver == "" {
		if len(h.Deployments) != 0 {
			t.Errorf("History(%s) = %d deployments; want none yet", env, len(h.Deployments))
		}
		return
	}
	if len(h.Deployments) != 1 || h.Deployments[0].Status != state.StatusSucceeded ||
		strings.Join(h.Deployments[0].ApprovedBy, ",") != approver {
		t.Errorf("History(%s) = %+v; want one succeeded deployment approved by %s", env, h.Deployments, approver)
	}
}
