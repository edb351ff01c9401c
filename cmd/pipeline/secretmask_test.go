package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/internal/pgtest"
	"github.com/pipeline-cd/pipeline/internal/storescan"
)

// leakToken is the value of a declared secret that a step also reads with
// env(); it must never be printed by a plan rendering nor stored.
const leakToken = "supersecret-token-XYZ<&>"

const leakPipeline = `pipeline "leak" {
  image = "alpine:3.20"
}

secret "deploy_token" {
  env = "PIPELINE_TEST_LEAK_TOKEN"
}

build "app" {
  step "compile" {
    runner = "local"
    env    = { LEAK = env("PIPELINE_TEST_LEAK_TOKEN") }
    run    = "echo 'plain ${env("PIPELINE_TEST_LEAK_TOKEN")}'"
  }
}
`

// TestSecretValuesMasked checks that a declared secret's value read with
// env() is masked in every rendering of the plan (plan text and JSON,
// graph, run --dry-run, diff) and in the state database after a run,
// where *** stands in its place.
func TestSecretValuesMasked(t *testing.T) {
	t.Setenv("PIPELINE_TEST_LEAK_TOKEN", leakToken)
	t.Setenv("PIPELINE_STATE", "")
	t.Setenv("PIPELINE_ARTIFACTS", "")
	dir := writeFiles(t, map[string]string{"pipeline.hcl": leakPipeline})
	secretForms := []string{leakToken, "supersecret-token-XYZ", `supersecret-token-XYZ\u003c\u0026\u003e`}
	tests := []struct {
		name     string
		args     []string
		wantMask bool // *** must appear in the output
	}{
		{"plan", []string{"plan", "-C", dir}, true},
		{"plan --json", []string{"plan", "--json", "-C", dir}, true},
		{"graph dot", []string{"graph", "--format", "dot", "-C", dir}, false},
		{"graph mermaid", []string{"graph", "--format", "mermaid", "-C", dir}, false},
		{"run --dry-run", []string{"run", "--dry-run", "--plain", "--runner", "local", "-C", dir}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != 0 {
				t.Fatalf("pipeline %v exit code = %d; want 0 (stderr %q)", tt.args, code, stderr)
			}
			for _, s := range secretForms {
				if strings.Contains(stdout+stderr, s) {
					t.Errorf("pipeline %v output contains the secret %q:\n%s%s", tt.args, s, stdout, stderr)
				}
			}
			if tt.wantMask && !strings.Contains(stdout, "***") {
				t.Errorf("pipeline %v output = %q; want it to contain ***", tt.args, stdout)
			}
		})
	}

	t.Run("run and state database", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "run", "--plain", "--runner", "local", "-C", dir)
		if code != 0 {
			t.Fatalf("pipeline run exit code = %d; want 0 (stdout %q, stderr %q)", code, stdout, stderr)
		}
		var db []byte
		for _, name := range []string{"state.db", "state.db-wal"} {
			b, err := os.ReadFile(filepath.Join(dir, ".pipeline", name))
			if name == "state.db" {
				require.NoError(t, err)
			}
			db = append(db, b...)
		}
		for _, s := range secretForms {
			if strings.Contains(string(db), s) {
				t.Errorf("state database contains the secret %q", s)
			}
		}
		for _, want := range []string{`"LEAK":{"value":"***"`, "plain ***"} {
			if !strings.Contains(string(db), want) {
				t.Errorf("state database does not contain %q; want the plan and the logs masked", want)
			}
		}
		storescan.SQLite(t, filepath.Join(dir, ".pipeline", "state.db"), leakToken)
	})

	t.Run("run and PostgreSQL", func(t *testing.T) {
		url := pgtest.FreshSchema(t)
		code, stdout, stderr := runCLI(t, "run", "--plain", "--runner", "local", "--state", url, "-C", dir)
		if code != 0 {
			t.Fatalf("pipeline run exit code = %d; want 0 (stdout %q, stderr %q)", code, stdout, stderr)
		}
		storescan.Postgres(t, url, leakToken)
	})
}
