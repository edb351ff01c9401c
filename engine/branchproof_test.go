package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// mainOnly deploys prod, without a gate, from main only.
const mainOnly = `
pipeline "svc" {
  version = "4.0.${git.commit_count}"
  image   = "busybox"
}
build "app" {
  step "compile" { run = "mkdir -p dist && echo ok > dist/app" }
}
package "app" {
  artifact "bin" { path = "dist/app" }
}
environment "prod" {
  branches = ["main"]
  step "rollout" { run = "echo prod ${release.version} >> deploy.log" }
}
`

// TestBranchFromCIVariableIsProven checks that a branch named by a CI
// variable in a detached checkout counts only when the commit is on that
// branch: GITHUB_HEAD_REF=main (a pull request's head) never does, and
// GITHUB_REF_NAME=main does not for a commit that is only on a feature
// branch; both build and release but refuse prod, saying why, and record
// no branch. The same variable for a commit on main deploys.
func TestBranchFromCIVariableIsProven(t *testing.T) {
	tests := []struct {
		name       string
		onMain     bool
		env        map[string]string
		wantBranch string // the release's recorded branch
		wantWhy    string // "" wants prod deployed
	}{
		{"pull request head named main", false, map[string]string{"GITHUB_HEAD_REF": "main", "GITHUB_REF_NAME": "7/merge"}, "",
			"GITHUB_HEAD_REF=main names the head branch of a pull or merge request"},
		{"pull request head named main on a commit of main", true, map[string]string{"GITHUB_HEAD_REF": "main"}, "",
			"never counts as a protected branch"},
		{"ref name main for a feature commit", false, map[string]string{"GITHUB_REF_NAME": "main"}, "",
			"is not on refs/heads/main in this repository"},
		{"ref name main for a commit on main", true, map[string]string{"GITHUB_REF_NAME": "main"}, "main", ""},
		{"GitLab branch pipeline on main", true, map[string]string{"CI_COMMIT_REF_NAME": "main"}, "main", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_REF_NAME", "CI_COMMIT_BRANCH",
				"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "BRANCH_NAME", "BUILDKITE_BRANCH"} {
				t.Setenv(k, tt.env[k])
			}
			r := newRepo(t, nil)
			r.commit("alice@example.com", "trusted", map[string]string{"pipeline.hcl": mainOnly})
			if !tt.onMain {
				r.git("checkout", "-q", "-b", "feature")
				r.commit("mallory@example.com", "pr change", map[string]string{"app.txt": "pr only\n"})
			}
			r.git("checkout", "-q", "--detach")
			f := newFixture(t, r)
			c := ctx(t)
			var warnings []string
			cfg := r.load()
			pl, perr := f.eng.Plan(engine.RunRequest{Config: cfg})
			dry, derr := f.eng.DryRun(c, engine.RunRequest{Config: cfg})
			if perr != nil || dry == nil {
				t.Fatalf("Plan = %v; DryRun = %+v, %v", perr, dry, derr)
			}
			if why, refused := pl.Refused["prod"]; refused != (tt.wantWhy != "") || !strings.Contains(why, tt.wantWhy) {
				t.Errorf("Plan: prod refused = %v (%q); want refused %v because %q", refused, why, tt.wantWhy != "", tt.wantWhy)
			}
			found := false
			for _, n := range dry.Exec.Nodes {
				if n.ID != "environment.prod" {
					continue
				}
				found = true
				if tt.wantWhy == "" && n.Status != "succeeded" {
					t.Errorf("dry run: environment.prod %s (%s); want it to pass", n.Status, n.Reason)
				}
				if tt.wantWhy != "" && (n.Status != "failed" || !strings.Contains(n.Reason, tt.wantWhy)) {
					t.Errorf("dry run: environment.prod %s (%s); want it refused because %q", n.Status, n.Reason, tt.wantWhy)
				}
			}
			if !found {
				t.Errorf("dry run walked no environment.prod node")
			}
			for _, w := range [][]string{pl.Warnings, dry.Warnings} {
				if tt.wantWhy != "" && !strings.Contains(strings.Join(w, "\n"), "the branch of this run is unknown, so prod") {
					t.Errorf("plan or dry run warnings = %q; want one saying prod is refused because the branch is unknown", w)
				}
			}
			res, err := f.eng.Run(c, engine.RunRequest{Config: cfg, Started: func(i engine.RunInfo) { warnings = i.Warnings }})
			if res == nil || res.Release == nil {
				t.Fatalf("Run = %+v, %v; want the release built", res, err)
			}
			if res.Release.Branch != tt.wantBranch {
				t.Errorf("release branch = %q; want %q", res.Release.Branch, tt.wantBranch)
			}
			deps, _ := f.store.ListDeployments(c, state.DeploymentFilter{Environment: "prod", Status: state.StatusSucceeded})
			if tt.wantWhy == "" {
				if err != nil || len(deps) != 1 {
					t.Fatalf("Run = %v, prod deployments %d; want prod deployed", err, len(deps))
				}
				return
			}
			if !errors.Is(err, rules.ErrBranchNotAllowed) || exitCode(err) != 1 {
				t.Errorf("Run = %v (code %d); want ErrBranchNotAllowed with code 1", err, exitCode(err))
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantWhy) {
				t.Errorf("Run error %q does not say why the branch is unknown (%q)", err, tt.wantWhy)
			}
			if w := strings.Join(warnings, "\n"); !strings.Contains(w, "the branch of this run is unknown, so prod") || !strings.Contains(w, tt.wantWhy) {
				t.Errorf("warnings = %q; want one saying prod is refused because %q", warnings, tt.wantWhy)
			}
			if len(deps) != 0 {
				t.Errorf("prod deployments = %+v; want none", deps)
			}
			// Resuming the failed run refuses prod again, saying why.
			if _, err := f.eng.Resume(c, engine.ResumeRequest{RunID: res.Run.ID}); !errors.Is(err, rules.ErrBranchNotAllowed) || !strings.Contains(err.Error(), tt.wantWhy) {
				t.Errorf("Resume = %v; want ErrBranchNotAllowed saying %q", err, tt.wantWhy)
			}
		})
	}
}
