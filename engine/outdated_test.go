package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// TestResumeOutdatedRelease: run A (3.0.1) waits at prod's gate while run
// B (3.0.2) is approved and deployed; approving and resuming A must not
// put the older 3.0.1 live over 3.0.2. Deploying 3.0.1 on purpose works.
func TestResumeOutdatedRelease(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": stagedProd})
	f := newFixture(t, r)
	c := ctx(t)
	a, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if exitCode(err) != 3 {
		t.Fatalf("Run A = %v (code %d); want it waiting (3)", err, exitCode(err))
	}
	r.commit("alice@example.com", "two", map[string]string{"README": "2"})
	f.runApproved(t, c)

	if _, err := f.eng.Approve(c, engine.Decision{RunID: a.Run.ID, Gate: "go", By: "carol@example.com"}); err != nil {
		t.Fatalf("Approve A: %v", err)
	}
	r.git("checkout", "-q", a.Run.Commit) // a run resumes from its own commit
	_, err = f.eng.Resume(c, engine.ResumeRequest{RunID: a.Run.ID})
	if !errors.Is(err, engine.ErrOutdatedRelease) || exitCode(err) != 1 {
		t.Fatalf("Resume A = %v (code %d); want ErrOutdatedRelease with code 1", err, exitCode(err))
	}
	for _, want := range []string{"3.0.2", "pipeline deploy prod --release 3.0.1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Resume A error = %q; want it to mention %q", err, want)
		}
	}
	rows, err := f.eng.Status(c, "svc", []string{"prod"})
	if err != nil || len(rows) != 1 || rows[0].Live == nil || rows[0].Live.Version != "3.0.2" {
		t.Fatalf("Status(prod) = %+v, %v; want 3.0.2 live", rows, err)
	}
	deps, _ := f.store.ListDeployments(c, state.DeploymentFilter{Pipeline: "svc", Environment: "prod", ReleaseID: a.Release.ID})
	if len(deps) != 0 {
		t.Errorf("prod deployments of 3.0.1 = %+v; want none", deps)
	}
	// Going back on purpose is a promotion, and is not refused.
	if _, err := f.eng.Deploy(c, engine.DeployRequest{Config: r.load(), Environment: "staging", Version: "3.0.1"}); err != nil {
		t.Fatalf("Deploy(staging, 3.0.1): %v", err)
	}
}
