package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/pgtest"
	"github.com/pipeline-cd/pipeline/internal/storescan"
	"github.com/pipeline-cd/pipeline/internal/testenv"
)

// vault puts a secret and a sensitive variable through every place a
// value can be stored: the plan (interpolated into run), the run's
// options (-var), logs (plain, base64 of "user:" + secret, hex, lower,
// upper, URL-encoded), a gate decision's comment and the audit trail.
const vault = `
pipeline "vault" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}

secret "token" {
  env = "DEPLOY_TOKEN"
}

variable "api_key" {
  type      = string
  sensitive = true
}

variable "echoed" {
  type    = string
  default = "nothing"
}

build "app" {
  step "encode" {
    secrets = [secret.token]
    run     = <<-EOT
      mkdir -p dist && echo app > dist/app
      echo "plain $DEPLOY_TOKEN"
      echo "basic $(printf 'user:%s' "$DEPLOY_TOKEN" | base64)"
      echo "url $(printf '%s' "$DEPLOY_TOKEN" | sed 's:/:%2F:g; s:+:%2B:g; s:=:%3D:g')"
      echo "hex $(printf '%s' "$DEPLOY_TOKEN" | od -An -tx1 | tr -d ' \n')"
      echo "key ${var.api_key} ${base64encode("user:${var.api_key}")} ${lower(var.api_key)} ${upper(var.api_key)}"
      echo "echoed ${var.echoed}"
    EOT
  }
}

package "app" {
  artifact "bin" { path = "dist/app" }
}

environment "production" {
  gate "go-live" {
    approvers = ["carol@example.com"]
  }
  step "rollout" {
    secrets = [secret.token]
    run     = <<-EOT
      echo "deploying with ${var.api_key} and $DEPLOY_TOKEN"
    EOT
  }
}
`

// The secret values of the story; each is long enough to be masked and
// holds characters that URL and JSON encodings change.
const (
	vaultToken  = "tok-Very/Secret+Value=42"
	vaultAPIKey = "Key-Sensitive&Value<7>"
)

// TestSecretsNeverAtRest runs the vault story on SQLite and on PostgreSQL:
// the run stops at a gate, is approved with a comment quoting the secret,
// is refused a resume until the sensitive variable is given again, then
// deploys. No output shows a value, and storescan finds no form of
// either value in any table of the store.
func TestSecretsNeverAtRest(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		r := newRepo(t)
		vaultStory(t, r, nil)
		storescan.SQLite(t, filepath.Join(r.dir, ".pipeline", "state.db"), vaultToken, vaultAPIKey)
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.FreshSchema(t)
		r := newRepo(t)
		vaultStory(t, r, []string{"PIPELINE_STATE=" + url})
		storescan.Postgres(t, url, vaultToken, vaultAPIKey)
	})
}

func vaultStory(t *testing.T, r *repo, env []string) {
	t.Helper()
	r.commit("vault", map[string]string{"pipeline.hcl": vault})
	env = append(env, "DEPLOY_TOKEN="+vaultToken)
	var outputs []string
	check := func(res result) result {
		t.Helper()
		outputs = append(outputs, res.stdout+res.stderr)
		return res
	}

	plan := check(r.must(0, env, "plan", "-var", "api_key="+vaultAPIKey, "-var", "echoed="+vaultToken))
	if !strings.Contains(plan.stdout, "deploying with (sensitive) and") {
		t.Errorf("plan does not show the sensitive variable as (sensitive):\n%s", plan.stdout)
	}
	check(r.must(0, env, "validate", "-var", "api_key="+vaultAPIKey))

	run := check(r.must(3, env, "run", "--runner", "local", "--plain", "-var", "api_key="+vaultAPIKey, "-var", "echoed="+vaultToken))
	id := runID(t, run.stdout)
	logs := check(r.must(0, env, "logs", id, "encode")).stdout
	for _, want := range []string{"plain ***", "basic dXNlcjp***", "hex ***", "url ***", "key (sensitive) dXNlcjp(sensitive) (sensitive) (sensitive)", "echoed ***"} {
		if !strings.Contains(logs, want) {
			t.Errorf("stored logs do not contain %q:\n%s", want, logs)
		}
	}
	check(r.must(0, append(env, "PIPELINE_USER=carol@example.com"), "approve", id, "go-live", "--comment", "token "+vaultToken+" checked"))

	refused := check(r.must(2, env, "resume", id, "--runner", "local", "--plain"))
	for _, want := range []string{"api_key", "echoed", "-var api_key=VALUE", "PIPELINE_VAR_api_key"} {
		if !strings.Contains(refused.stderr, want) {
			t.Errorf("resume without the sensitive values: stderr does not name %q:\n%s", want, refused.stderr)
		}
	}
	other := check(r.must(2, env, "resume", id, "--runner", "local", "-var", "api_key="+vaultAPIKey, "-var", "echoed="+vaultToken, "-var", "nope=1"))
	if !strings.Contains(other.stderr, "-var nope") {
		t.Errorf("resume with a variable the run stored: stderr %q; want it to name -var nope", other.stderr)
	}
	check(r.must(0, append(env, "PIPELINE_VAR_echoed="+vaultToken), "resume", id, "--runner", "local", "--plain", "-var", "api_key="+vaultAPIKey))
	// Query commands load the config, whose api_key is required.
	withKey := append(env[:len(env):len(env)], "PIPELINE_VAR_api_key="+vaultAPIKey)
	check(r.must(0, withKey, "status"))
	check(r.must(0, withKey, "history", "--env", "production"))
	check(r.must(0, withKey, "audit"))
	deployLogs := check(r.must(0, env, "logs", id, "rollout")).stdout
	if !strings.Contains(deployLogs, "deploying with (sensitive) and ***") {
		t.Errorf("rollout logs = %q; want the values masked", deployLogs)
	}
	for _, out := range outputs {
		for _, s := range []string{vaultToken, vaultAPIKey, strings.ToLower(vaultAPIKey)} {
			if strings.Contains(out, s) {
				t.Errorf("an output shows a secret value:\n%s", out)
			}
		}
	}
}

// derivedInError makes an error message of the Docker runner quote
// lower(secret) and a sensitive variable, inside an image name.
const derivedInError = `
pipeline "derived" {
  image = "pipeline-test/busybox:latest"
}

secret "token" {
  env = "DEPLOY_TOKEN"
}

variable "api_key" {
  type      = string
  sensitive = true
}

build "app" {
  step "pull" {
    image = "registry.invalid/${lower(env("DEPLOY_TOKEN"))}/${lower(var.api_key)}:1"
    run   = "true"
  }
}
`

// TestDerivedSecretInErrorMessage runs a step whose image name holds
// lower(secret) with the Docker runner: the pull fails and its error is
// printed and stored as the node's and the run's reason, masked.
func TestDerivedSecretInErrorMessage(t *testing.T) {
	testenv.RequireTestImage(t)
	r := newRepo(t)
	r.commit("derived", map[string]string{"pipeline.hcl": derivedInError})
	const token, key = "MyDeployToken4711", "ApiKeyValue0815"
	res := r.must(1, []string{"DEPLOY_TOKEN=" + token, "DOCKER_HOST=" + os.Getenv("DOCKER_HOST")}, "run", "--plain", "-var", "api_key="+key)
	out := res.stdout + res.stderr
	if !strings.Contains(out, "registry.invalid/***/(sensitive):1") {
		t.Errorf("run output does not show the image name masked:\n%s", out)
	}
	for _, s := range []string{token, strings.ToLower(token), key, strings.ToLower(key)} {
		if strings.Contains(out, s) {
			t.Errorf("run output shows %q:\n%s", s, out)
		}
	}
	storescan.SQLite(t, filepath.Join(r.dir, ".pipeline", "state.db"), token, strings.ToLower(token), key, strings.ToLower(key))
}
