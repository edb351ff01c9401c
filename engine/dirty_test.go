package engine_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// dirtyConfig builds, packages and deploys to staging (any branch) and to
// prod (releases from main only), without gates.
const dirtyConfig = `
pipeline "svc" {
  version = "4.0.${git.commit_count}"
  image   = "busybox"
}
build "app" {
  step "compile" { run = "mkdir -p dist && cat src.txt > dist/app" }
}
package "app" {
  artifact "bin" { path = "dist/app" }
}
environment "staging" {
  step "rollout" { run = "echo staging ${release.version} >> deploy.log" }
}
environment "prod" {
  branches = ["main"]
  step "rollout" { run = "echo prod ${release.version} >> deploy.log" }
}
`

// waitingRun commits stagedProd, runs it to prod's gate and has carol
// approve the gate; it returns the waiting run.
func waitingRun(t *testing.T, f *fixture) *state.Run {
	t.Helper()
	f.repo.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": stagedProd})
	res, err := f.eng.Run(ctx(t), engine.RunRequest{Config: f.repo.load()})
	if exitCode(err) != 3 {
		t.Fatalf("Run = %v (code %d); want it waiting at prod's gate (3)", err, exitCode(err))
	}
	if _, err := f.eng.Approve(ctx(t), engine.Decision{RunID: res.Run.ID, Gate: "go", By: "carol@example.com"}); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	return res.Run
}

// prodDeployments returns the recorded deployments to prod.
func prodDeployments(t *testing.T, f *fixture) []*state.Deployment {
	t.Helper()
	deps, err := f.store.ListDeployments(ctx(t), state.DeploymentFilter{Pipeline: "svc", Environment: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	return deps
}

// TestResumeRefusesWrongCheckout: a run resumes only from a clean checkout
// of its own commit, because its steps run in the working tree; another
// commit or modified tracked files are refused with code 2 before any step
// or deployment runs. Untracked files do not count.
func TestResumeRefusesWrongCheckout(t *testing.T) {
	tests := []struct {
		name    string
		change  func(r *repo)
		restore func(r *repo)
		wantIs  error
	}{
		{"another commit", func(r *repo) {
			r.git("checkout", "-q", "-b", "evil")
			r.commit("mallory@example.com", "evil", map[string]string{"pipeline.hcl": strings.Replace(stagedProd, "echo ok", "echo evil", 1)})
		}, func(r *repo) { r.git("checkout", "-q", "main") }, engine.ErrWrongCommit},
		{"modified tracked file", func(r *repo) {
			r.write(map[string]string{"pipeline.hcl": strings.Replace(stagedProd, "echo ok", "echo evil", 1)})
		}, func(r *repo) { r.git("checkout", "-q", "--", "pipeline.hcl") }, engine.ErrDirtyTree},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, nil)
			f := newFixture(t, r)
			run := waitingRun(t, f)
			tt.change(r)
			_, err := f.eng.Resume(ctx(t), engine.ResumeRequest{RunID: run.ID})
			if !errors.Is(err, tt.wantIs) || !errors.Is(err, engine.ErrNotResumable) || exitCode(err) != 2 {
				t.Fatalf("Resume after %s = %v (code %d); want ErrNotResumable and %v with code 2", tt.name, err, exitCode(err), tt.wantIs)
			}
			for _, want := range []string{"check out " + run.Commit, "clean tree", "resume run " + run.ID} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Resume after %s error = %q; want it to mention %q", tt.name, err, want)
				}
			}
			if deps := prodDeployments(t, f); len(deps) != 0 {
				t.Errorf("prod deployments after the refused resume = %d; want 0", len(deps))
			}
			got, err := f.store.GetRun(ctx(t), run.ID)
			if err != nil || got.Status != state.StatusWaiting {
				t.Errorf("run after the refused resume = %+v, %v; want it still waiting", got, err)
			}

			tt.restore(r)
			r.write(map[string]string{"notes.txt": "untracked files are fine\n"})
			res, err := f.eng.Resume(ctx(t), engine.ResumeRequest{RunID: run.ID})
			if err != nil {
				t.Fatalf("Resume from the run's clean commit = %v; want success", err)
			}
			if res.Run.Status != state.StatusSucceeded || len(prodDeployments(t, f)) != 1 {
				t.Errorf("Resume from the run's clean commit: status %s, %d prod deployments; want succeeded, 1", res.Run.Status, len(prodDeployments(t, f)))
			}
		})
	}
}

// TestRunDirtyTree: a run from a working tree with modified tracked files
// builds and tests but creates no release and deploys nowhere (code 1);
// with AllowDirty its release is versioned "-dirty" and records no branch,
// so an environment restricted to main refuses it.
func TestRunDirtyTree(t *testing.T) {
	noPackage := strings.Replace(dirtyConfig, "package \"app\" {\n  artifact \"bin\" { path = \"dist/app\" }\n}\n", "", 1)
	noPackage = strings.ReplaceAll(noPackage, "${release.version}", "${run.id}")
	for _, cfg := range []struct{ name, body string }{{"with a release", dirtyConfig}, {"without a package stage", noPackage}} {
		t.Run("without --allow-dirty/"+cfg.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": cfg.body, "src.txt": "clean\n"})
			r.write(map[string]string{"src.txt": "uncommitted\n"})
			f := newFixture(t, r)
			res, err := f.eng.Run(ctx(t), engine.RunRequest{Config: r.load()})
			if !errors.Is(err, engine.ErrDirtyTree) || exitCode(err) != 1 {
				t.Fatalf("Run from a dirty tree = %v (code %d); want ErrDirtyTree with code 1", err, exitCode(err))
			}
			for _, want := range []string{"modified tracked files", "--allow-dirty", "commit"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Run from a dirty tree error = %q; want it to mention %q", err, want)
				}
			}
			built := false
			for _, n := range res.Exec.Nodes {
				switch plan.NodeKind(n.Kind) {
				case plan.KindStep:
					built = built || n.Status == exec.StatusSucceeded
				case plan.KindRelease, plan.KindDeploy:
					if n.Status == exec.StatusSucceeded {
						t.Errorf("node %s status = %s; want it not to succeed from a dirty tree", n.ID, n.Status)
					}
				}
			}
			if !built {
				t.Errorf("no step succeeded; want the build to run from a dirty tree")
			}
			if res.Release != nil {
				t.Errorf("Run from a dirty tree created release %s; want none", res.Release.Version)
			}
			rels, err := f.store.ListReleases(ctx(t), "svc", 0)
			if err != nil || len(rels) != 0 {
				t.Errorf("releases in the store = %d, %v; want none", len(rels), err)
			}
			deps, err := f.store.ListDeployments(ctx(t), state.DeploymentFilter{Pipeline: "svc"})
			if err != nil || len(deps) != 0 {
				t.Errorf("deployments in the store = %d, %v; want none", len(deps), err)
			}
			if _, err := os.Stat(filepath.Join(r.dir, "deploy.log")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("deploy.log exists (%v); want no environment step to run", err)
			}
		})
	}

	t.Run("with --allow-dirty", func(t *testing.T) {
		r := newRepo(t, nil)
		r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": dirtyConfig, "src.txt": "clean\n"})
		r.write(map[string]string{"src.txt": "uncommitted\n"})
		f := newFixture(t, r)
		res, err := f.eng.Run(ctx(t), engine.RunRequest{Config: r.load(), AllowDirty: true})
		if !errors.Is(err, rules.ErrBranchNotAllowed) || exitCode(err) != 1 {
			t.Fatalf("Run --allow-dirty = %v (code %d); want prod refused with ErrBranchNotAllowed, code 1", err, exitCode(err))
		}
		if res.Release == nil {
			t.Fatalf("Run --allow-dirty created no release; want one")
		}
		if res.Release.Version != "4.0.1-dirty" || res.Release.Branch != "" || res.Run.Branch != "" {
			t.Errorf("release version %q, release branch %q, run branch %q; want \"4.0.1-dirty\", \"\", \"\"",
				res.Release.Version, res.Release.Branch, res.Run.Branch)
		}
		if !strings.Contains(err.Error(), "(no branch") {
			t.Errorf("Run --allow-dirty error = %q; want prod's refusal to say the release has no branch", err)
		}
		staging, err := f.store.ListDeployments(ctx(t), state.DeploymentFilter{Pipeline: "svc", Environment: "staging", Status: state.StatusSucceeded})
		if err != nil || len(staging) != 1 || staging[0].ReleaseID != res.Release.ID {
			t.Errorf("staging deployments = %+v, %v; want the -dirty release deployed once", staging, err)
		}
		if deps := prodDeployments(t, f); len(deps) != 0 {
			t.Errorf("prod deployments = %d; want 0 (prod takes releases from main only)", len(deps))
		}
	})
}
