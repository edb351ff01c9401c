package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/testenv"
)

// attackBase is main's reviewed config: prod is gated, limited to main,
// and the only environment whose steps may receive prod_token.
const attackBase = `
pipeline "svc" {
  version = "2.0.${git.commit_count}"
  image   = "busybox"
}
secret "prod_token" {
  env          = "PROD_TOKEN"
  environments = [environment.prod]
}
build "app" {
  step "compile" { run = "mkdir -p dist && echo ok > dist/app" }
}
test "unit" {
  step "check" { run = "echo testing" }
}
package "app" {
  artifact "bin" { path = "dist/app" }
}
environment "prod" {
  branches = ["main"]
  %s
  step "rollout" {
    secrets = [secret.prod_token]
    run     = "mkdir -p deployed && echo ${release.version} > deployed/prod"
  }
}
`

// prodToken is the planted secret; no byte of it, forwards or reversed,
// may appear anywhere.
const prodToken = "planted-prod-token-7f3a9c"

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// noLeak fails when the planted token (or its reverse) appears in the
// outputs or in any file under the repository's .pipeline directory (the
// SQLite store, logs, artifacts), which must hold the SQLite store.
func (r *repo) noLeak(t *testing.T, outs ...result) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(r.dir, ".pipeline", "state.db")); err != nil {
		t.Errorf("no SQLite store to scan for the planted secret: %v", err)
	}
	for _, s := range []string{prodToken, reverse(prodToken)} {
		for _, o := range outs {
			if strings.Contains(o.stdout+o.stderr, s) {
				t.Errorf("the planted secret appears in the output:\nstdout:\n%s\nstderr:\n%s", o.stdout, o.stderr)
			}
		}
		_ = filepath.Walk(filepath.Join(r.dir, ".pipeline"), func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err == nil && strings.Contains(string(b), s) {
				t.Errorf("the planted secret is stored in %s", p)
			}
			return nil
		})
	}
}

// modes are the three commands that must agree on the trusted rules:
// plan, run --dry-run and run with the local runner.
var modes = [][]string{
	{"plan"},
	{"run", "--dry-run", "--runner", "local", "--plain"},
	{"run", "--runner", "local", "--plain"},
}

// each runs args after each mode's command and checks the exit code
// (want[i] for modes[i]) and that the output says every one of says.
func (r *repo) each(t *testing.T, env []string, want [3]int, says []string, args ...string) []result {
	t.Helper()
	var out []result
	for i, m := range modes {
		res := r.must(want[i], env, append(append([]string{}, m...), args...)...)
		for _, s := range says {
			if !strings.Contains(res.stdout+res.stderr, s) {
				t.Errorf("pipeline %s: the output does not say %q:\nstdout:\n%s\nstderr:\n%s", strings.Join(append(m, args...), " "), s, res.stdout, res.stderr)
			}
		}
		out = append(out, res)
	}
	return out
}

func attackConfig(gate string) string { return strings.Replace(attackBase, "%s", gate, 1) }

// Each story below runs through plan, run --dry-run and run (modes) and
// expects the same verdict from the three.

// TestNewEnvironmentOnBranchNotDeployed: a branch adds environment prod2
// without a gate. The run (prod skipped: the branch may not deploy
// there) builds, tests and packages, exits 0 and says
// prod2 is not on the trusted ref yet; prod2 is never deployed. Asking
// for prod2 by name exits 2 and deploys nothing.
func TestNewEnvironmentOnBranchNotDeployed(t *testing.T) {
	r := newRepo(t)
	r.commit("trusted", map[string]string{"pipeline.hcl": attackConfig(`gate "go" { approvers = ["carol@example.com"] }`)})
	r.git("checkout", "-q", "-b", "feature")
	r.commit("add prod2", map[string]string{"pipeline.hcl": attackConfig(`gate "go" { approvers = ["carol@example.com"] }`) + `
environment "prod2" {
  step "rollout" {
    run = "mkdir -p deployed && echo ${release.version} > deployed/prod2"
  }
}
`})
	r.each(t, nil, [3]int{0, 0, 0}, []string{"environment prod2 is not on the trusted ref main yet"}, "--skip", "prod")
	r.each(t, nil, [3]int{2, 2, 2}, []string{"environment prod2 was asked for and is refused"}, "--only", "environment.prod2")
	r.each(t, nil, [3]int{2, 2, 2}, []string{"environment prod2 was asked for and is refused"}, "--until", "prod2")
	if _, err := os.Stat(filepath.Join(r.dir, "deployed", "prod2")); !os.IsNotExist(err) {
		t.Fatalf("prod2 was deployed by a branch that added it without a gate (stat: %v)", err)
	}
}

// TestAdoptionPathExitsZero: a repository whose config is only on the
// branch that adopts pipeline builds and tests, exits 0 and says what to
// do; the environments are not deployed.
func TestAdoptionPathExitsZero(t *testing.T) {
	r := newRepo(t)
	r.commit("code", map[string]string{"README": "app\n"})
	r.git("checkout", "-q", "-b", "adopt-pipeline")
	r.commit("adopt pipeline", map[string]string{"pipeline.hcl": attackConfig("")})
	env := []string{"PROD_TOKEN=" + prodToken}
	outs := r.each(t, env, [3]int{0, 0, 0}, []string{"environment prod is not on the trusted ref main yet", "merge the config to main", "--trusted-ref"})
	if res := outs[2]; !strings.Contains(res.stdout, "release svc 2.0.2") {
		t.Errorf("run: the build and package did not run:\n%s", res.stdout)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "deployed", "prod")); !os.IsNotExist(err) {
		t.Errorf("prod was deployed from a config that is not on main (stat: %v)", err)
	}
	outs = append(outs, r.each(t, env, [3]int{2, 2, 2}, []string{"environment prod was asked for and is refused"}, "--only", "prod")...)
	r.noLeak(t, outs...)
}

// TestSecretScopeRefusedOnBranch: a branch's test step lists prod_token,
// which main gives only to prod's steps, after dropping the scope; and
// another branch reads it through a secret of its own. Both are refused
// before anything runs (exit 2), naming the step, the secret and the
// trusted scope; the token appears in no output and no stored file.
func TestSecretScopeRefusedOnBranch(t *testing.T) {
	leakStep := `step "check" {
    secrets = [secret.%s]
    run     = "echo $PROD_TOKEN | rev"
  }`
	tests := []struct {
		name, config, want string
	}{
		{"scope dropped", strings.NewReplacer(
			"environments = [environment.prod]", "",
			`step "check" { run = "echo testing" }`, strings.Replace(leakStep, "%s", "prod_token", 1)).Replace(attackConfig("")),
			"step test.unit.check lists secret prod_token, but the trusted ref main gives secret prod_token only to the steps of environment prod"},
		{"secret of its own", strings.Replace(attackConfig(""), `step "check" { run = "echo testing" }`, strings.Replace(leakStep, "%s", "mine", 1), 1) + "\nsecret \"mine\" { env = \"PROD_TOKEN\" }\n",
			"step test.unit.check lists secret mine, which reads PROD_TOKEN, the variable of secret prod_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t)
			r.commit("trusted", map[string]string{"pipeline.hcl": attackConfig("")})
			r.must(0, []string{"PROD_TOKEN=" + prodToken}, "run", "--runner", "local", "--plain") // a store with history
			r.git("checkout", "-q", "-b", "feature")
			r.commit("attack", map[string]string{"pipeline.hcl": tt.config})
			outs := r.each(t, []string{"PROD_TOKEN=" + prodToken}, [3]int{2, 2, 2}, []string{tt.want})
			r.noLeak(t, outs...)
		})
	}
}

// TestBranchClaimedByCIVariable: in a detached checkout of a commit that
// is only on a pull request's branch, GITHUB_HEAD_REF=main must not pass
// prod's branches rule; plan shows prod refused and why (exit 0), dry run
// and run say why and exit 1. The same checkout
// of a commit on main with GITHUB_REF_NAME=main deploys.
func TestBranchClaimedByCIVariable(t *testing.T) {
	r := newRepo(t)
	r.commit("trusted", map[string]string{"pipeline.hcl": attackConfig("")})
	r.git("checkout", "-q", "-b", "pr")
	r.commit("pr change", map[string]string{"pr.txt": "only on the pr\n"})
	r.git("checkout", "-q", "--detach")
	env := []string{"GITHUB_HEAD_REF=main", "GITHUB_REF_NAME=12/merge", "PROD_TOKEN=" + prodToken}
	outs := r.each(t, env, [3]int{0, 1, 1}, []string{"GITHUB_HEAD_REF=main names the head branch of a pull or merge request",
		"environment prod accepts releases built from main"})
	if _, err := os.Stat(filepath.Join(r.dir, "deployed", "prod")); !os.IsNotExist(err) {
		t.Fatalf("prod was deployed from a pull request's commit claiming to be main (stat: %v)", err)
	}
	r.git("checkout", "-q", "--detach", "main")
	outs = append(outs, r.each(t, []string{"GITHUB_REF_NAME=main", "PROD_TOKEN=" + prodToken}, [3]int{0, 0, 0}, nil)...)
	if _, err := os.Stat(filepath.Join(r.dir, "deployed", "prod")); err != nil {
		t.Errorf("a commit on main with GITHUB_REF_NAME=main was not deployed to prod: %v\nstderr:\n%s", err, outs[len(outs)-1].stderr)
	}
	r.noLeak(t, outs...)
}

// dockerTrusted is attackBase for the Docker runner: every step runs in
// the local test image.
var dockerTrusted = strings.NewReplacer(
	`image   = "busybox"`, `image   = "pipeline-test/busybox:latest"`,
	`step "compile" { run = "mkdir -p dist && echo ok > dist/app" }`, `step "compile" {
    pull = "never"
    run  = "mkdir -p dist && echo ok > dist/app"
  }`,
	`step "check" { run = "echo testing" }`, `step "check" {
    pull = "never"
    run  = "echo testing"
  }`,
	`    secrets = [secret.prod_token]
    run     = "mkdir -p deployed && echo ${release.version} > deployed/prod"`, `    pull    = "never"
    secrets = [secret.prod_token]
    run     = "mkdir -p deployed && echo $PROD_TOKEN | rev > deployed/prod"`,
).Replace(attackConfig(""))

// TestTrustedRefDocker runs the stories of this file with the Docker
// runner: on main the prod step (in scope) receives the secret in its
// container; a branch's test step that lists it is refused before any
// container starts (exit 2); a detached PR commit claiming main through
// GITHUB_HEAD_REF does not reach prod (exit 1). The planted token is in
// no output and no file under .pipeline.
func TestTrustedRefDocker(t *testing.T) {
	testenv.RequireTestImage(t)
	r := newRepo(t)
	r.commit("trusted", map[string]string{"pipeline.hcl": dockerTrusted})
	r.git("checkout", "-q", "--detach", "main")
	env := []string{"PROD_TOKEN=" + prodToken, "GITHUB_REF_NAME=main"}
	res := r.must(0, env, "run", "--plain")
	prod := filepath.Join(r.dir, "deployed", "prod")
	if b, err := os.ReadFile(prod); err != nil || strings.TrimSpace(string(b)) != reverse(prodToken) {
		t.Fatalf("prod's step in its container did not receive the secret (deployed/prod = %q, %v)\nstderr:\n%s", b, err, res.stderr)
	}
	if err := os.Remove(prod); err != nil {
		t.Fatal(err)
	}

	r.git("checkout", "-q", "-b", "pr", "main")
	r.commit("leak", map[string]string{"pipeline.hcl": strings.NewReplacer(
		"environments = [environment.prod]", "",
		`    run  = "echo testing"`, "    secrets = [secret.prod_token]\n    run     = \"echo $PROD_TOKEN | rev\"",
	).Replace(dockerTrusted)})
	leak := r.must(2, env, "run", "--plain")
	if !strings.Contains(leak.stderr, "step test.unit.check lists secret prod_token") {
		t.Errorf("run of the leaking branch: stderr does not name the refused step:\n%s", leak.stderr)
	}

	r.git("checkout", "-q", "-b", "pr2", "main")
	r.commit("pr change", map[string]string{"pr.txt": "only on the pr\n"})
	r.git("checkout", "-q", "--detach")
	claim := r.must(1, []string{"PROD_TOKEN=" + prodToken, "GITHUB_HEAD_REF=main"}, "run", "--plain")
	if _, err := os.Stat(prod); !os.IsNotExist(err) {
		t.Errorf("a PR commit claiming main through GITHUB_HEAD_REF reached prod (stat: %v)\nstderr:\n%s", err, claim.stderr)
	}
	r.noLeak(t, res, leak, claim)
}
