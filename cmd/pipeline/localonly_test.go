package main

import (
	"strings"
	"testing"
)

// TestAllLocalStepsRunWithoutRunnerFlag runs a config whose steps all say
// runner = "local" without --runner: no Docker runner is needed, so the run
// neither asks for Docker nor fails with `runner "docker" is not
// available`.
func TestAllLocalStepsRunWithoutRunnerFlag(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pipeline.hcl": `
pipeline "hostonly" {}

build "app" {
  step "compile" {
    runner = "local"
    run    = "echo compiled"
  }
}

test "unit" {
  step "check" {
    runner = "local"
    when   = length("ab") > 1
    run    = "echo checked"
  }
}
`})
	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1") // no Docker engine answers there
	code, stdout, stderr := runCLI(t, "run", "--plain", "-C", dir)
	if code != 0 || strings.Contains(stderr, "docker") {
		t.Fatalf("pipeline run exit code = %d, stderr %q; want 0 without any word of Docker", code, stderr)
	}
	if !strings.Contains(stdout, "[test.unit.check] checked") {
		t.Errorf("pipeline run output = %q; want test.unit.check to run", stdout)
	}
}
