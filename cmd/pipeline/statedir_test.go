package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/internal/gittest"
)

// TestDefaultStateDirIgnored checks that the CLI writes .pipeline/.gitignore
// when it creates the default state directory, so git status stays clean,
// and never overwrites a .gitignore that is already there.
func TestDefaultStateDirIgnored(t *testing.T) {
	t.Setenv("PIPELINE_STATE", "")
	tests := []struct {
		name     string
		existing string // .pipeline/.gitignore before the command; "" for no .pipeline
		want     string
	}{
		{"new state directory", "", "*\n"},
		{"existing .gitignore is kept", "state.db\nartifacts/\n", "state.db\nartifacts/\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := gittest.Init(t)
			gittest.Commit(t, dir, "pipeline", map[string]string{"pipeline.hcl": envPipeline})
			ignore := filepath.Join(dir, ".pipeline", ".gitignore")
			if tt.existing != "" {
				require.NoError(t, os.MkdirAll(filepath.Dir(ignore), 0o755))
				require.NoError(t, os.WriteFile(ignore, []byte(tt.existing), 0o644))
			}
			if code, _, stderr := runCLI(t, "run", "--runner", "local", "-C", dir); code != 0 {
				t.Fatalf("pipeline run exit code = %d; want 0 (stderr %q)", code, stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, ".pipeline", "state.db")); err != nil {
				t.Fatalf("default state database: %v", err)
			}
			got, err := os.ReadFile(ignore)
			require.NoError(t, err)
			if string(got) != tt.want {
				t.Errorf(".pipeline/.gitignore = %q; want %q", got, tt.want)
			}
			if tt.existing == "" {
				if st := gittest.Git(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
					t.Errorf("git status --porcelain = %q; want clean", st)
				}
			}
		})
	}
}
