package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/internal/gittest"
	"github.com/pipeline-cd/pipeline/internal/storescan"
)

// leakForms are the forms of leakToken no output may contain.
var leakForms = []string{leakToken, "supersecret-token-XYZ", `supersecret-token-XYZ\u003c\u0026\u003e`}

// invalidLeakPipeline declares a secret and evaluates it into an attribute
// whose diagnostic quotes the evaluated value.
const invalidLeakPipeline = `pipeline "leak" {
  image = "alpine:3.20"
}

secret "deploy_token" {
  env = "PIPELINE_TEST_LEAK_TOKEN"
}

build "app" {
  step "compile" {
    runner  = "local"
    timeout = "${env("PIPELINE_TEST_LEAK_TOKEN")}"
    run     = "echo compile"
  }
}
`

// TestDiagnosticsMaskSecrets checks that a diagnostic quoting the value of
// a declared secret (an invalid timeout read with env()) prints *** in its
// place, in validate and in every diff format (the PR-comment path),
// whether the invalid config is the working tree or a git ref.
func TestDiagnosticsMaskSecrets(t *testing.T) {
	t.Setenv("PIPELINE_TEST_LEAK_TOKEN", leakToken)
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "leaky timeout", map[string]string{"pipeline.hcl": invalidLeakPipeline})
	tests := []struct {
		name string
		args []string
	}{
		{"validate", []string{"validate"}},
		{"validate --json", []string{"validate", "--json"}},
		{"validate --ref", []string{"validate", "--ref", "HEAD"}},
		{"diff text", []string{"diff", "--base", "HEAD"}},
		{"diff markdown", []string{"diff", "--base", "HEAD", "--format", "markdown"}},
		{"diff --format json", []string{"diff", "--base", "HEAD", "--format", "json"}},
		{"diff --json", []string{"diff", "--base", "HEAD", "--json"}},
		{"plan", []string{"plan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{}, tt.args...), "-C", dir)
			code, stdout, stderr := runCLI(t, args...)
			if code != exitUsage {
				t.Fatalf("pipeline %v exit code = %d; want %d (stdout %q, stderr %q)", args, code, exitUsage, stdout, stderr)
			}
			for _, s := range leakForms {
				if strings.Contains(stdout+stderr, s) {
					t.Errorf("pipeline %v output contains the secret %q:\n%s%s", args, s, stdout, stderr)
				}
			}
			if want := `timeout = \"***\"`; !strings.Contains(stdout+stderr, want) && !strings.Contains(stdout+stderr, `timeout = "***"`) {
				t.Errorf("pipeline %v output = %q%q; want the diagnostic with the value masked (timeout = \"***\")", args, stdout, stderr)
			}
		})
	}
}

// leakCommentPipeline declares the secret a decision's comment quotes.
const leakCommentPipeline = `pipeline "shop" {
  image = "alpine:3.20"
}

secret "deploy_token" {
  env = "PIPELINE_TEST_LEAK_TOKEN"
}

environment "production" {
  gate "go-live" {}
  step "rollout" { run = "echo production" }
}
`

// seedWaitingRun records run r-leak of pipeline shop, configured in dir,
// waiting at production/go-live, in a new SQLite store and returns its
// path.
func seedWaitingRun(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer st.Close()
	now := time.Now().UTC()
	opts := fmt.Sprintf(`{"dir":%q,"version":"1.0.0","gates":{"production/go-live":{"Environment":"production","Name":"go-live"}}}`, dir)
	require.NoError(t, st.CreateRun(ctx, &state.Run{ID: "r-leak", Pipeline: "shop", Component: ".", Author: "alice@example.com",
		Kind: "run", Status: state.StatusWaiting, Options: []byte(opts), StartedAt: now}))
	require.NoError(t, st.PutGate(ctx, &state.Gate{RunID: "r-leak", Pipeline: "shop", Environment: "production", Name: "production/go-live",
		Status: state.StatusWaiting, WaitingSince: now}))
	return path
}

// TestDecisionCommentMasked checks that a secret value pasted into the
// comment of approve or reject is stored masked: neither audit, audit
// --json nor the database file (approvals and audit tables) holds it. The
// secrets come from the config of the CLI's directory and, when the CLI
// runs elsewhere, from the run's recorded directory.
func TestDecisionCommentMasked(t *testing.T) {
	t.Setenv("PIPELINE_TEST_LEAK_TOKEN", leakToken)
	t.Setenv("PIPELINE_STATE", "")
	dir := writeFiles(t, map[string]string{"pipeline.hcl": leakCommentPipeline})
	elsewhere := t.TempDir()
	tests := []struct {
		name, verb, cliDir string
	}{
		{"approve", "approve", dir},
		{"reject", "reject", dir},
		{"approve from another directory", "approve", elsewhere},
		{"reject from another directory", "reject", elsewhere},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := seedWaitingRun(t, dir)
			comment := "deployed with " + leakToken + " as agreed"
			code, stdout, stderr := runCLI(t, tt.verb, "r-leak", "production/go-live", "--as", "carol@example.com",
				"--comment", comment, "--state", db, "-C", tt.cliDir)
			if code != 0 {
				t.Fatalf("pipeline %s exit code = %d; want 0 (stdout %q, stderr %q)", tt.verb, code, stdout, stderr)
			}
			for _, args := range [][]string{{"audit"}, {"audit", "--json"}} {
				cli := append(append([]string{}, args...), "--state", db, "-C", elsewhere)
				code, stdout, stderr := runCLI(t, cli...)
				if code != 0 {
					t.Fatalf("pipeline %v exit code = %d; want 0 (stderr %q)", cli, code, stderr)
				}
				for _, s := range leakForms {
					if strings.Contains(stdout+stderr, s) {
						t.Errorf("pipeline %v output contains the secret %q:\n%s", cli, s, stdout)
					}
				}
				if !strings.Contains(stdout, "deployed with *** as agreed") {
					t.Errorf("pipeline %v output = %q; want the comment with the secret masked", cli, stdout)
				}
			}
			var raw []byte
			for _, name := range []string{db, db + "-wal"} {
				b, err := os.ReadFile(name)
				if err != nil && !os.IsNotExist(err) {
					t.Fatalf("ReadFile(%s) = %v", name, err)
				}
				raw = append(raw, b...)
			}
			for _, s := range leakForms {
				if strings.Contains(string(raw), s) {
					t.Errorf("state database contains the secret %q", s)
				}
			}
			storescan.SQLite(t, db, leakToken)
		})
	}
}
