package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// stagedProd has a staging environment without a gate and a prod
// environment behind gate "go".
const stagedProd = `
pipeline "svc" {
  version = "3.0.${git.commit_count}"
  image   = "busybox"
}
build "app" {
  step "compile" { run = "mkdir -p dist && echo ok > dist/app" }
}
package "app" {
  artifact "bin" { path = "dist/app" }
}
environment "staging" {
  step "rollout" { run = "echo staging ${release.version} >> deploy.log" }
}
environment "prod" {
  requires = [environment.staging]
  gate "go" { approvers = ["carol@example.com"] }
  step "rollout" { run = "echo prod ${release.version} >> deploy.log" }
}
`

// runApproved runs the current commit, which stops at prod's gate, has
// carol approve it and resumes the run to the end.
func (f *fixture) runApproved(t *testing.T, c context.Context) {
	t.Helper()
	res, err := f.eng.Run(c, engine.RunRequest{Config: f.repo.load()})
	if exitCode(err) != 3 {
		t.Fatalf("Run = %v (code %d); want it waiting at prod's gate (3)", err, exitCode(err))
	}
	if _, err := f.eng.Approve(c, engine.Decision{RunID: res.Run.ID, Gate: "go", By: "carol@example.com"}); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if _, err := f.eng.Resume(c, engine.ResumeRequest{RunID: res.Run.ID}); err != nil {
		t.Fatalf("Resume: %v", err)
	}
}

// TestRollbackToNeverDeployedRelease checks that `rollback ENV --to V`
// cannot put a release into an environment it never reached: that would
// skip the environment's gate. A release that was live there before is
// still accepted.
func TestRollbackToNeverDeployedRelease(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": stagedProd})
	f := newFixture(t, r)
	c := ctx(t)
	rollback := func(to string) error {
		_, err := f.eng.Rollback(c, engine.RollbackRequest{To: to,
			DeployRequest: engine.DeployRequest{Config: r.load(), Environment: "prod"}})
		return err
	}
	prodDeployments := func() []*state.Deployment {
		t.Helper()
		deps, err := f.store.ListDeployments(c, state.DeploymentFilter{Pipeline: "svc", Environment: "prod"})
		if err != nil {
			t.Fatal(err)
		}
		return deps
	}

	// 3.0.1 reaches staging and waits at prod's gate.
	first, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if exitCode(err) != 3 {
		t.Fatalf("Run = %v (code %d); want it waiting at prod's gate (3)", err, exitCode(err))
	}
	err = rollback("3.0.1")
	if !errors.Is(err, engine.ErrNeverDeployed) || exitCode(err) != 2 {
		t.Fatalf("Rollback(prod, --to 3.0.1) of a release only in staging = %v (code %d); want ErrNeverDeployed with code 2", err, exitCode(err))
	}
	if want := "pipeline deploy prod --release 3.0.1"; !strings.Contains(err.Error(), want) {
		t.Errorf("Rollback(prod, --to 3.0.1) error = %q; want it to point at %q", err, want)
	}
	if deps := prodDeployments(); len(deps) != 0 {
		t.Fatalf("prod deployments after the refused rollback = %+v; want none", deps)
	}

	// Once 3.0.1 and then 3.0.2 passed the gate, rolling back to 3.0.1 works.
	if _, err := f.eng.Approve(c, engine.Decision{RunID: first.Run.ID, Gate: "go", By: "carol@example.com"}); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if _, err := f.eng.Resume(c, engine.ResumeRequest{RunID: first.Run.ID}); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	r.commit("alice@example.com", "two", map[string]string{"README": "2"})
	f.runApproved(t, c)
	if err := rollback("3.0.1"); err != nil {
		t.Fatalf("Rollback(prod, --to 3.0.1) of a release that was live in prod: %v", err)
	}
	deps := prodDeployments()
	if len(deps) != 3 || deps[0].Version != "3.0.1" || deps[0].Kind != state.DeployKindRollback || deps[0].Status != state.StatusSucceeded {
		t.Errorf("newest prod deployment = %+v (of %d); want a succeeded rollback to 3.0.1", deps[0], len(deps))
	}
}

// TestRollbackToTheLiveRelease: `rollback ENV --to V` of the release live
// in ENV is refused (code 2, ErrAlreadyLive) while its deployment is the
// last to have finished there; after a failed deployment of a newer
// release, which may have left ENV half changed, it is allowed.
func TestRollbackToTheLiveRelease(t *testing.T) {
	r := newRepo(t, nil)
	cfg := strings.Replace(stagedProd, `step "rollout" { run = "echo staging ${release.version} >> deploy.log" }`,
		`step "rollout" { run = "grep -q good src.txt" }`, 1)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": cfg, "src.txt": "good\n"})
	f := newFixture(t, r)
	c := ctx(t)
	rollback := func(to string) error {
		_, err := f.eng.Rollback(c, engine.RollbackRequest{To: to,
			DeployRequest: engine.DeployRequest{Config: r.load(), Environment: "staging"}})
		return err
	}
	if _, err := f.eng.Run(c, engine.RunRequest{Config: r.load()}); exitCode(err) != 3 {
		t.Fatalf("Run = %v; want 3.0.1 in staging, waiting at prod's gate", err)
	}
	err := rollback("3.0.1")
	if !errors.Is(err, engine.ErrAlreadyLive) || exitCode(err) != 2 || !strings.Contains(err.Error(), "3.0.1 succeeded (live)") {
		t.Fatalf("Rollback(staging, --to the live 3.0.1) = %v (code %d); want ErrAlreadyLive, code 2, naming what was deployed", err, exitCode(err))
	}
	r.commit("alice@example.com", "two breaks staging", map[string]string{"src.txt": "bad\n"})
	if _, err := f.eng.Run(c, engine.RunRequest{Config: r.load()}); exitCode(err) != 1 {
		t.Fatalf("Run of 3.0.2 = %v; want staging to fail (1)", err)
	}
	if err := rollback("3.0.1"); err != nil {
		t.Errorf("Rollback(staging, --to 3.0.1) after 3.0.2 failed there = %v; want it allowed", err)
	}
}
