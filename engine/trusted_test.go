package engine_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// TestTrustedRulesFailClosed checks that a change whose protection rules
// cannot be checked against a trusted ref deploys nowhere: the trusted ref
// cannot be found, or the config there does not load or is another
// pipeline's. Build, test and package still run. Each case's change
// deletes prod's gate, which must never let it reach prod.
func TestTrustedRulesFailClosed(t *testing.T) {
	noGate := strings.Replace(stagedProd, `gate "go" { approvers = ["carol@example.com"] }`, "", 1)
	tests := []struct {
		name string
		// setup makes the repository's history after the trusted commit
		// of stagedProd on main, and returns the config directory.
		setup      func(r *repo) string
		trustedRef string
		wantReason string
	}{
		{"branch moves the config to another directory", func(r *repo) string {
			r.git("checkout", "-q", "-b", "feature")
			r.git("rm", "-q", "pipeline.hcl")
			r.commit("alice@example.com", "move and drop the gate", map[string]string{"deploy/pipeline.hcl": noGate})
			return "deploy"
		}, "", "does not load in directory deploy"},
		{"moved config with an explicit trusted ref", func(r *repo) string {
			r.git("checkout", "-q", "-b", "feature")
			r.git("rm", "-q", "pipeline.hcl")
			r.commit("alice@example.com", "move and drop the gate", map[string]string{"deploy/pipeline.hcl": noGate})
			return "deploy"
		}, "main", "does not load in directory deploy"},
		{"no default branch and no origin/HEAD", func(r *repo) string {
			r.git("branch", "-m", "main", "trunk")
			r.git("checkout", "-q", "-b", "feature")
			r.commit("alice@example.com", "drop the gate", map[string]string{"pipeline.hcl": noGate})
			return "."
		}, "", "--trusted-ref REF"},
		{"detached HEAD without a default branch", func(r *repo) string {
			r.git("branch", "-m", "main", "trunk")
			r.git("checkout", "-q", "-b", "feature")
			r.commit("alice@example.com", "drop the gate", map[string]string{"pipeline.hcl": noGate})
			r.git("checkout", "-q", "--detach")
			return "."
		}, "", "--trusted-ref REF"},
		{"trusted config is another pipeline", func(r *repo) string {
			r.git("checkout", "-q", "-b", "feature")
			r.commit("alice@example.com", "rename and drop the gate", map[string]string{
				"pipeline.hcl": strings.Replace(noGate, `pipeline "svc"`, `pipeline "svc2"`, 1)})
			return "."
		}, "", "declares pipeline svc, not pipeline svc2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("alice@example.com", "trusted rules", map[string]string{"pipeline.hcl": stagedProd})
			dir := filepath.Join(r.dir, tt.setup(r))
			cfg, diags := loader.Load(loader.Request{Dir: dir})
			if diags.HasErrors() {
				t.Fatalf("loading %s: %s", dir, diags.Error())
			}
			f := newFixture(t, r)
			c := ctx(t)
			var warnings []string
			res, err := f.eng.Run(c, engine.RunRequest{Config: cfg, TrustedRef: tt.trustedRef,
				Started: func(i engine.RunInfo) { warnings = i.Warnings }})
			if !errors.Is(err, engine.ErrNoTrustedRules) || exitCode(err) != 1 {
				t.Fatalf("Run = %v (code %d); want ErrNoTrustedRules with code 1", err, exitCode(err))
			}
			if !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("Run error = %q; want it to say %q", err, tt.wantReason)
			}
			if w := strings.Join(warnings, "\n"); !strings.Contains(w, "environments are refused") || !strings.Contains(w, tt.wantReason) {
				t.Errorf("warnings = %q; want one saying environments are refused because %q", warnings, tt.wantReason)
			}
			if res == nil || res.Release == nil {
				t.Errorf("Run result = %+v; want the release built and recorded (build and package still run)", res)
			}
			deps, err := f.store.ListDeployments(c, state.DeploymentFilter{})
			if err != nil || len(deps) != 0 {
				t.Errorf("deployments = %+v, %v; want none", deps, err)
			}
			// Resuming the failed run refuses the environments again.
			if _, err := f.eng.Resume(c, engine.ResumeRequest{RunID: res.Run.ID}); !errors.Is(err, engine.ErrNoTrustedRules) {
				t.Errorf("Resume = %v; want ErrNoTrustedRules", err)
			}
			if deps, _ := f.store.ListDeployments(c, state.DeploymentFilter{}); len(deps) != 0 {
				t.Errorf("deployments after resume = %+v; want none", deps)
			}
		})
	}
}

// TestTrustedRulesDetachedCheckout checks the usual CI checkout: HEAD
// detached at the change, the default branch present. The trusted gate
// applies although the change deleted it.
func TestTrustedRulesDetachedCheckout(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "trusted rules", map[string]string{"pipeline.hcl": stagedProd})
	r.git("checkout", "-q", "-b", "feature")
	r.commit("alice@example.com", "drop the gate", map[string]string{
		"pipeline.hcl": strings.Replace(stagedProd, `gate "go" { approvers = ["carol@example.com"] }`, "", 1)})
	r.git("checkout", "-q", "--detach")
	f := newFixture(t, r)
	var info engine.RunInfo
	_, err := f.eng.Run(ctx(t), engine.RunRequest{Config: r.load(), Started: func(i engine.RunInfo) { info = i }})
	var we *engine.WaitingError
	if !errors.As(err, &we) || len(we.Gates) != 1 || we.Gates[0].Environment != "prod" || we.Gates[0].Gate != "go" {
		t.Fatalf("Run = %v; want it waiting at the trusted gate prod/go", err)
	}
	if info.TrustedRef != "main" {
		t.Errorf("trusted ref = %q; want main", info.TrustedRef)
	}
}
