package main

import (
	"strings"
	"testing"
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
// real run would stop for approval, the steps after it as not reached,
// warns about a secret whose environment variable is not set, and exits
// with code 3, as the run would.
func TestDryRunStopsAtGate(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pipeline.hcl": gatedDryRun})
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
		{"missing secret", stderr, "Warning: secret deploy_token: DRY_RUN_TEST_DEPLOY_TOKEN is not set"},
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
