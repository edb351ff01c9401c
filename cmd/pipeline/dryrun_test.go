package main

import (
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/gittest"
)

const gatedDryRun = `pipeline "demo" {
  image = "alpine:3.20"
}

secret "deploy_token" {
  env = "DRY_RUN_TEST_DEPLOY_TOKEN"
}

build "app" {
  step "compile" {
    run = "echo compile"
  }
}

environment "production" {
  gate "go-live" {
    approvers = ["carol@example.com"]
  }
  step "rollout" {
    secrets = [secret.deploy_token]
    run     = "echo rollout"
  }
}
`

// TestDryRunStopsAtGate checks that run --dry-run shows a gate as where a
// real run would stop for approval, the steps after it as not reached, and
// exits with code 3, as the run would; without a secret a step lists it
// warns, says the run would not start and exits 1, as the run would.
func TestDryRunStopsAtGate(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pipeline.hcl": gatedDryRun})
	// Without the secret a run would not start: the dry run says so and
	// exits 1, as the run would, after showing the walk.
	code, missingOut, missingErr := runCLI(t, "run", "--dry-run", "--plain", "-C", dir)
	if code != 1 || !strings.Contains(missingErr, "Error: a run would not start: secret deploy_token: set DRY_RUN_TEST_DEPLOY_TOKEN") {
		t.Errorf("pipeline run --dry-run without the secret: exit code %d, stderr %q; want 1 and why a run would not start", code, missingErr)
	}
	t.Setenv("DRY_RUN_TEST_DEPLOY_TOKEN", "a-long-enough-token")
	code, stdout, stderr := runCLI(t, "run", "--dry-run", "--plain", "-C", dir)
	if code != 3 {
		t.Fatalf("pipeline run --dry-run exit code = %d; want 3, as a run stopping at the gate (stderr %q)", code, stderr)
	}
	tests := []struct {
		name, out, want string
	}{
		{"gate", stdout, "would stop here for approval (approvers: carol@example.com)"},
		{"step after the gate", stdout, "environment.production.rollout"},
		{"summary", stdout, "dry run: would stop at gate production/go-live"},
		{"exit code", stdout, "dry run stopped: a run would exit with code 3"},
		{"missing secret", missingErr, "Warning: secret deploy_token: DRY_RUN_TEST_DEPLOY_TOKEN is not set"},
		{"walk without the secret", missingOut, "would stop here for approval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.out, tt.want) {
				t.Errorf("pipeline run --dry-run output = %q; want it to contain %q", tt.out, tt.want)
			}
		})
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, "environment.production.rollout") && !strings.Contains(line, "not reached") && !strings.Contains(line, "production.go-live") {
			t.Errorf("pipeline run --dry-run shows %q; want the step after the gate not reached", line)
		}
		if strings.Contains(line, "go-live") && strings.Contains(line, "succeeded") {
			t.Errorf("pipeline run --dry-run shows %q; want the gate not succeeded", line)
		}
	}
	if strings.Contains(stdout, "run succeeded") || strings.Contains(stdout, "would run in alpine:3.20: echo rollout") {
		t.Errorf("pipeline run --dry-run output = %q; want no success and no rollout run", stdout)
	}
}

// TestDryRunSeesExistingRelease runs a commit once, then dry-runs it
// again: the dry run reads the existing SQLite store and fails (exit 1)
// as the run would, because the release version already exists, without
// recording anything.
func TestDryRunSeesExistingRelease(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "one", map[string]string{"pipeline.hcl": `
pipeline "again" {
  version = "1.0.${git.commit_count}"
}
package "app" {
  step "pack" {
    runner = "local"
    run    = "echo packed"
  }
}
`})
	if code, stdout, stderr := runCLI(t, "run", "--plain", "-C", dir); code != 0 {
		t.Fatalf("pipeline run exit code = %d; want 0 (stdout %q, stderr %q)", code, stdout, stderr)
	}
	before := runsOf(t, dir)
	code, stdout, stderr := runCLI(t, "run", "--dry-run", "--plain", "-C", dir)
	if code != 1 || !strings.Contains(stderr, "already created by run") {
		t.Errorf("pipeline run --dry-run of a released commit: exit code %d, stderr %q; want 1 and the run's release-exists error (stdout %q)", code, stderr, stdout)
	}
	if after := runsOf(t, dir); after != before {
		t.Errorf("runs after the dry run = %q; want %q: a dry run records nothing", after, before)
	}
}

func runsOf(t *testing.T, dir string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, "runs", "--json", "-C", dir)
	if code != 0 {
		t.Fatalf("pipeline runs exit code = %d; stderr %q", code, stderr)
	}
	return stdout
}

// TestPlanSaysTrustedRules plans a branch whose config drops the branches
// rule of main: plan says where the rules come from, warns like a run,
// and names the environment a run would refuse and why.
func TestPlanSaysTrustedRules(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "rules", map[string]string{"pipeline.hcl": `
pipeline "rules" {}
environment "staging" {
  branches = ["main"]
  step "rollout" {
    runner = "local"
    run    = "true"
  }
}
`})
	gittest.Git(t, dir, "checkout", "-q", "-b", "feature")
	gittest.Commit(t, dir, "drop the rule", map[string]string{"pipeline.hcl": `
pipeline "rules" {}
environment "staging" {
  step "rollout" {
    runner = "local"
    run    = "true"
  }
}
`})
	code, stdout, stderr := runCLI(t, "plan", "-C", dir)
	if code != 0 {
		t.Fatalf("pipeline plan exit code = %d; want 0 (stderr %q)", code, stderr)
	}
	for _, want := range []string{
		"protection rules (gates, branches, requires) from the trusted ref main, as a run applies them",
		"Warning: environment staging: branches is [main] at the trusted ref but (none) in this change; the trusted value applies",
		"a run would refuse environment staging: branch not allowed: environment staging accepts releases built from main, but this release was built from feature",
		"branches:      main",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("pipeline plan output lacks %q:\n%s", want, stdout)
		}
	}
}
