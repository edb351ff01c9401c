package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

// TestBadFlagsRefusedBeforeRecording checks that out-of-range flag values
// are usage errors (exit 2) naming the flag and the values it accepts, and
// that nothing is recorded: a command that would create the store leaves
// no file, and one that reads an existing store leaves it without runs.
func TestBadFlagsRefusedBeforeRecording(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pipeline.hcl": envPipeline})
	tests := []struct {
		name     string
		args     []string
		existing bool // the store exists before the command
		want     []string
	}{
		{"run --runner podman", []string{"run", "--runner", "podman"}, false, []string{"--runner", `"podman"`, "docker", "local"}},
		{"deploy --runner podman", []string{"deploy", "production", "--release", "1.0.0", "--runner", "podman"}, false, []string{"--runner", "docker", "local"}},
		{"rollback --runner podman", []string{"rollback", "production", "--runner", "podman"}, false, []string{"--runner", "docker", "local"}},
		{"run --parallelism 0", []string{"run", "--runner", "local", "--parallelism", "0"}, false, []string{"--parallelism 0", "1 or more"}},
		{"run --parallelism -3", []string{"run", "--runner", "local", "--parallelism", "-3"}, false, []string{"--parallelism -3", "1 or more"}},
		{"run --wait-lock -5s", []string{"run", "--runner", "local", "--wait-lock", "-5s"}, false, []string{"--wait-lock -5s", "pass 0"}},
		{"deploy --wait-lock -5s", []string{"deploy", "production", "--release", "1.0.0", "--runner", "local", "--wait-lock", "-5s"}, false, []string{"--wait-lock -5s"}},
		{"resume -var", []string{"resume", "r-1", "-var", "x=1"}, true, []string{"r-1"}},
		{"resume -var-file", []string{"resume", "r-1", "-var-file", "vars.hcl"}, true, []string{"r-1"}},
		{"resume --runner podman", []string{"resume", "r-1", "--runner", "podman"}, true, []string{"--runner", "docker", "local"}},
		{"history --limit -1", []string{"history", "--limit", "-1"}, true, []string{"--limit -1", "0 for all"}},
		{"runs --limit -1", []string{"runs", "--limit", "-1"}, true, []string{"--limit -1", "0 for all"}},
		{"releases --limit -2", []string{"releases", "--limit", "-2"}, true, []string{"--limit -2", "0 for all"}},
		{"audit --limit -1", []string{"audit", "--limit", "-1"}, true, []string{"--limit -1", "0 for all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "state.db")
			if tt.existing {
				st, err := sqlite.Open(t.Context(), db, nil)
				require.NoError(t, err)
				require.NoError(t, st.Close())
			}
			args := append(append([]string{}, tt.args...), "-C", dir, "--state", db)
			code, stdout, stderr := runCLI(t, args...)
			if code != exitUsage {
				t.Errorf("pipeline %s exit code = %d; want %d (stderr %q)", tt.name, code, exitUsage, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("pipeline %s stderr = %q; want it to contain %q", tt.name, stderr, w)
				}
			}
			if strings.Contains(stdout, "run r-") {
				t.Errorf("pipeline %s stdout = %q; want no run started", tt.name, stdout)
			}
			if !tt.existing {
				if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("pipeline %s: Stat(%s) = %v; want no store created", tt.name, db, err)
				}
				return
			}
			st, err := sqlite.Open(t.Context(), db, nil)
			require.NoError(t, err)
			defer st.Close()
			runs, err := st.ListRuns(t.Context(), state.RunFilter{})
			require.NoError(t, err)
			if len(runs) != 0 {
				t.Errorf("pipeline %s recorded %d runs; want none", tt.name, len(runs))
			}
		})
	}
}

// TestGoodFlagValuesAccepted checks the boundary values the checks allow.
func TestGoodFlagValuesAccepted(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pipeline.hcl": envPipeline})
	db := filepath.Join(t.TempDir(), "state.db")
	for _, args := range [][]string{
		{"run", "--runner", "local", "--parallelism", "1", "--wait-lock", "0s"},
		{"history", "--limit", "0"},
		{"runs", "--limit", "0"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cli := append(append([]string{}, args...), "-C", dir, "--state", db)
			if code, _, stderr := runCLI(t, cli...); code != exitOK {
				t.Errorf("pipeline %s exit code = %d; want 0 (stderr %q)", strings.Join(args, " "), code, stderr)
			}
		})
	}
}
