package engine_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/trust"
)

// scopedProd gives secret prod_token to prod's steps only.
const scopedProd = `
pipeline "svc" {
  version = "3.0.${git.commit_count}"
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
  gate "go" { approvers = ["carol@example.com"] }
  step "rollout" {
    run     = "echo prod ${release.version} >> deploy.log"
    secrets = [secret.prod_token]
  }
}
`

// TestSecretScopeAtTrustedRef checks that a branch cannot hand a secret
// the trusted ref scopes to prod to a test step: not by listing it, not
// by dropping or widening the scope, not by declaring another secret
// reading the same variable, not by env(), and not by borrowing another
// component's scoped secret. Each is refused before anything runs (code
// 2, nothing recorded), naming the step, the secret and the trusted scope.
func TestSecretScopeAtTrustedRef(t *testing.T) {
	leak := func(secret string) string {
		return strings.Replace(scopedProd, `step "check" { run = "echo testing" }`,
			`step "check" {
    run     = "echo $PROD_TOKEN | rev"
    secrets = [`+secret+`]
  }`, 1)
	}
	unscoped := strings.Replace(scopedProd, "environments = [environment.prod]", "", 1)
	tests := []struct {
		name  string
		files map[string]string // the branch's commit
		dir   string
		want  []string
	}{
		{"test step lists the scoped secret, scope dropped on the branch", map[string]string{
			"pipeline.hcl": strings.Replace(leak("secret.prod_token"), "environments = [environment.prod]", "", 1)},
			".", []string{"step test.unit.check lists secret prod_token", "gives secret prod_token only to the steps of environment prod"}},
		{"scope widened to a new environment holding the step", map[string]string{
			"pipeline.hcl": strings.NewReplacer("environments = [environment.prod]", "environments = [environment.prod, environment.qa]").
				Replace(scopedProd) + `
environment "qa" {
  step "leak" {
    run     = "echo $PROD_TOKEN | rev"
    secrets = [secret.prod_token]
  }
}
`}, ".", []string{"step environment.qa.leak lists secret prod_token"}},
		{"another secret reads the same variable", map[string]string{
			"pipeline.hcl": leak("secret.mine") + "\nsecret \"mine\" { env = \"PROD_TOKEN\" }\n"},
			".", []string{"step test.unit.check lists secret mine, which reads PROD_TOKEN, the variable of secret prod_token"}},
		{"env() reads the variable", map[string]string{
			"pipeline.hcl": strings.Replace(scopedProd, `run = "echo testing"`, `run = "echo ${env("PROD_TOKEN")} | rev"`, 1)},
			".", []string{"reads PROD_TOKEN with env()"}},
		{"another component's scoped secret", map[string]string{
			"pipeline.hcl":     scopedProd,
			"api/pipeline.hcl": strings.Replace(leak("secret.tok"), `pipeline "svc"`, `pipeline "api"`, 1) + "\nsecret \"tok\" { env = \"PROD_TOKEN\" }\n"},
			"api", []string{"step test.unit.check lists secret tok, which reads PROD_TOKEN, the variable of secret prod_token that pipeline svc (the repository root)"}},
		{"config moved away from the trusted directory", map[string]string{
			"pipeline.hcl": "",
			"deploy/pipeline.hcl": strings.Replace(unscoped, `step "check" { run = "echo testing" }`, `step "check" {
    run     = "echo $PROD_TOKEN | rev"
    secrets = [secret.prod_token]
  }`, 1)},
			"deploy", []string{"step test.unit.check lists secret prod_token, which reads PROD_TOKEN, the variable of secret prod_token that pipeline svc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("alice@example.com", "trusted", map[string]string{"pipeline.hcl": scopedProd})
			r.git("checkout", "-q", "-b", "feature")
			files := map[string]string{}
			for k, v := range tt.files {
				if v == "" {
					r.git("rm", "-q", k)
					continue
				}
				files[k] = v
			}
			r.commit("mallory@example.com", "attack", files)
			cfg, diags := loader.Load(loader.Request{Dir: filepath.Join(r.dir, tt.dir)})
			if diags.HasErrors() {
				t.Fatalf("loading the branch's config: %s", diags.Error())
			}
			f := newFixture(t, r)
			f.env["PROD_TOKEN"] = "s3cr3t-prod-token"
			c := ctx(t)
			for _, mode := range []string{"run", "dry run", "plan"} {
				var err error
				switch mode {
				case "run":
					_, err = f.eng.Run(c, engine.RunRequest{Config: cfg})
				case "dry run":
					_, err = f.eng.DryRun(c, engine.RunRequest{Config: cfg})
				case "plan":
					_, err = f.eng.Plan(engine.RunRequest{Config: cfg})
				}
				if !errors.Is(err, trust.ErrSecretOutOfScope) || exitCode(err) != 2 {
					t.Fatalf("%s: %v (code %d); want ErrSecretOutOfScope with code 2", mode, err, exitCode(err))
				}
				for _, want := range tt.want {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s: error %q does not say %q", mode, err, want)
					}
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("%s: error shows the secret: %q", mode, err)
				}
			}
			if runs, err := f.store.ListRuns(c, state.RunFilter{}); err != nil || len(runs) != 0 {
				t.Errorf("runs = %d, %v; want nothing recorded", len(runs), err)
			}
		})
	}
}

// TestSecretScopeAllowsItsEnvironment checks the trusted config itself:
// prod's step lists the scoped secret and the run goes as far as prod's
// gate, where it stops without having handed the secret to any step.
func TestSecretScopeAllowsItsEnvironment(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "trusted", map[string]string{"pipeline.hcl": scopedProd})
	f := newFixture(t, r)
	f.env["PROD_TOKEN"] = "s3cr3t-prod-token"
	res, err := f.eng.Run(ctx(t), engine.RunRequest{Config: r.load()})
	var we *engine.WaitingError
	if !errors.As(err, &we) {
		t.Fatalf("Run = %v (code %d); want it waiting at prod's gate", err, exitCode(err))
	}
	for _, n := range res.Exec.Nodes {
		if n.ID == "environment.prod.rollout" && n.Status != "not reached" {
			t.Errorf("prod's rollout (which lists the secret) is %s before its gate was approved; want not reached", n.Status)
		}
	}
}

// TestSecretScopeRollbackToOlderConfig checks that a rollback is judged on
// the environment it runs: release 1's config gave prod_token to a test
// step too, main has scoped it to prod since, and rolling prod back to
// release 1 is allowed (only prod's steps run), while running release 1's
// whole config again would be refused.
func TestSecretScopeRollbackToOlderConfig(t *testing.T) {
	noGate := strings.Replace(scopedProd, `gate "go" { approvers = ["carol@example.com"] }`, "", 1)
	old := strings.NewReplacer("environments = [environment.prod]", "",
		`step "check" { run = "echo testing" }`, `step "check" {
    run     = "echo testing"
    secrets = [secret.prod_token]
  }`).Replace(noGate)
	r := newRepo(t, nil)
	r.commit("alice@example.com", "release 1: unscoped", map[string]string{"pipeline.hcl": old})
	f := newFixture(t, r)
	f.env["PROD_TOKEN"] = "s3cr3t-prod-token"
	c := ctx(t)
	if _, err := f.eng.Run(c, engine.RunRequest{Config: r.load()}); err != nil {
		t.Fatalf("Run of release 1 = %v", err)
	}
	r.commit("alice@example.com", "release 2: scoped to prod", map[string]string{"pipeline.hcl": noGate})
	if _, err := f.eng.Run(c, engine.RunRequest{Config: r.load()}); err != nil {
		t.Fatalf("Run of release 2 = %v", err)
	}
	res, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: engine.DeployRequest{Config: r.load(), Environment: "prod"}})
	if err != nil || res.Release == nil || res.Release.Version != "3.0.1" {
		t.Fatalf("Rollback(prod) = %+v, %v; want release 3.0.1 back in prod", res, err)
	}
	// Release 1's whole config, run again from its commit, is refused.
	r.git("checkout", "-q", "--detach", "HEAD~1")
	_, err = f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if !errors.Is(err, trust.ErrSecretOutOfScope) {
		t.Errorf("Run of release 1's config = %v; want ErrSecretOutOfScope (main scopes prod_token to prod now)", err)
	}
}

// TestSecretScopeWithoutTrustedRef checks that a test step listing a
// secret is refused when the trusted ref cannot be determined (no
// default branch): whatever scope the reviewed config gives the secret
// cannot be read, so it fails closed.
func TestSecretScopeWithoutTrustedRef(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "trusted", map[string]string{"pipeline.hcl": scopedProd})
	r.git("branch", "-m", "main", "trunk")
	r.git("checkout", "-q", "-b", "feature")
	r.commit("mallory@example.com", "leak", map[string]string{"pipeline.hcl": strings.NewReplacer(
		"environments = [environment.prod]", "",
		`step "check" { run = "echo testing" }`, `step "check" {
    run     = "echo $PROD_TOKEN | rev"
    secrets = [secret.prod_token]
  }`).Replace(scopedProd)})
	f := newFixture(t, r)
	f.env["PROD_TOKEN"] = "s3cr3t-prod-token"
	_, err := f.eng.Run(ctx(t), engine.RunRequest{Config: r.load()})
	if !errors.Is(err, trust.ErrSecretOutOfScope) || exitCode(err) != 2 || !strings.Contains(err.Error(), "the trusted ref cannot be determined") {
		t.Fatalf("Run = %v (code %d); want ErrSecretOutOfScope (code 2) saying the trusted ref cannot be determined", err, exitCode(err))
	}
}
