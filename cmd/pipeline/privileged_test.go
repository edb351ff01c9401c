package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

// privilegedPipeline runs local steps, then a step that asks for
// privileged mode, then a deployment step that mounts the Docker socket.
const privilegedPipeline = `pipeline "tool" {
  version = "1.0.0"
}

build "tool" {
  step "compile" {
    runner = "local"
    run    = "echo built > compiled.txt"
  }
}

test "it" {
  step "dind" {
    runner     = "local"
    privileged = true
    run        = "echo tested > tested.txt"
  }
}

environment "staging" {
  step "rollout" {
    runner = "local"
    mounts = ["/var/run/docker.sock:/var/run/docker.sock"]
    run    = "echo deploying"
  }
}
`

// storedRuns returns the runs in the SQLite store at path; a store that
// was never created has none.
func storedRuns(t *testing.T, path string) []*state.Run {
	t.Helper()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return nil
	}
	st, err := sqlite.Open(context.Background(), path, nil)
	require.NoError(t, err)
	defer st.Close()
	runs, err := st.ListRuns(context.Background(), state.RunFilter{})
	require.NoError(t, err)
	return runs
}

func TestPrivilegedStepsRefusedWhenPlanning(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	repo := gitRepo(t, map[string]string{"pipeline.hcl": privilegedPipeline})
	db := filepath.Join(t.TempDir(), "state.db")
	common := []string{"-C", repo, "--state", "sqlite:" + db, "--no-color"}

	refused := []struct {
		name string
		args []string
	}{
		{"run", []string{"run", "--runner", "local", "--plain", "--trusted-ref", "main"}},
		{"run --dry-run", []string{"run", "--dry-run", "--plain"}},
		{"plan", []string{"plan"}},
		{"graph", []string{"graph"}},
	}
	for _, tt := range refused {
		t.Run(tt.name+" refuses", func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(tt.args, common...)...)
			if code != exitUsage {
				t.Fatalf("%s exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", tt.name, code, exitUsage, stdout, stderr)
			}
			for _, want := range []*regexp.Regexp{
				regexp.MustCompile(`\n  test\.it\.dind \(\S*pipeline\.hcl:13:3\) asks for privileged mode\n`),
				regexp.MustCompile(`\n  environment\.staging\.rollout \(\S*pipeline\.hcl:21:3\) asks for the Docker socket \(mount /var/run/docker\.sock:/var/run/docker\.sock\)\n`),
				regexp.MustCompile(`run with --allow-privileged if you trust this config`),
			} {
				if !want.MatchString(stderr) {
					t.Errorf("%s stderr does not match %s:\n%s", tt.name, want, stderr)
				}
			}
			if strings.Contains(stdout, "run r-") {
				t.Errorf("%s printed a run id; want nothing started:\n%s", tt.name, stdout)
			}
			if runs := storedRuns(t, db); len(runs) != 0 {
				t.Errorf("%s recorded %d runs (first %s, %s); want none", tt.name, len(runs), runs[0].ID, runs[0].Status)
			}
			if _, err := os.Stat(filepath.Join(repo, "compiled.txt")); err == nil {
				t.Errorf("%s ran build.tool.compile; want no step run", tt.name)
			}
		})
	}

	allowed := []struct {
		name string
		args []string
		want string // in stdout
	}{
		{"plan", []string{"plan"}, "environment.staging.rollout"},
		{"graph", []string{"graph", "--format", "mermaid"}, `["dind"]`},
		{"run --dry-run", []string{"run", "--dry-run", "--plain"}, "dry run succeeded"},
	}
	for _, tt := range allowed {
		t.Run(tt.name+" --allow-privileged plans", func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(append(tt.args, "--allow-privileged"), common...)...)
			if code != exitOK {
				t.Fatalf("%s --allow-privileged exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", tt.name, code, exitOK, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.want) {
				t.Errorf("%s --allow-privileged stdout does not contain %q:\n%s", tt.name, tt.want, stdout)
			}
		})
	}

	t.Run("run --allow-privileged runs", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, append([]string{"run", "--runner", "local", "--plain", "--trusted-ref", "main",
			"--only", "test", "--allow-privileged"}, common...)...)
		if code != exitOK {
			t.Fatalf("run --allow-privileged exit code = %d; want %d\nstdout:\n%s\nstderr:\n%s", code, exitOK, stdout, stderr)
		}
		runs := storedRuns(t, db)
		if len(runs) != 1 || runs[0].Status != state.StatusSucceeded {
			t.Fatalf("runs after run --allow-privileged = %d (%v); want 1 succeeded", len(runs), runs)
		}
		if _, err := os.Stat(filepath.Join(repo, "tested.txt")); err != nil {
			t.Errorf("run --allow-privileged did not run test.it.dind: %v", err)
		}
	})
}
