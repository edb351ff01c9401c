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
//
// With state kept elsewhere (PostgreSQL in production; memory: here, which
// also keeps the default artifact store), the artifact store's .pipeline
// gets the same .gitignore.
func TestDefaultStateDirIgnored(t *testing.T) {
	t.Setenv("PIPELINE_STATE", "")
	t.Setenv("PIPELINE_ARTIFACTS", "")
	tests := []struct {
		name     string
		existing string // .pipeline/.gitignore before the command; "" for no .pipeline
		state    string // --state; "" for the default SQLite file in .pipeline
		want     string
	}{
		{"new state directory", "", "", "*\n"},
		{"existing .gitignore is kept", "state.db\nartifacts/\n", "", "state.db\nartifacts/\n"},
		{"state elsewhere, default artifact store", "", "memory:", "*\n"},
		{"state elsewhere, existing .gitignore is kept", "artifacts/\n", "memory:", "artifacts/\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := gittest.Init(t)
			gittest.Commit(t, dir, "pipeline", map[string]string{"pipeline.hcl": envPipeline + packagedArtifact, ".gitignore": "dist/\n"})
			ignore := filepath.Join(dir, ".pipeline", ".gitignore")
			if tt.existing != "" {
				require.NoError(t, os.MkdirAll(filepath.Dir(ignore), 0o755))
				require.NoError(t, os.WriteFile(ignore, []byte(tt.existing), 0o644))
			}
			args := []string{"run", "--runner", "local", "-C", dir}
			if tt.state != "" {
				args = append(args, "--state", tt.state)
			}
			if code, _, stderr := runCLI(t, args...); code != 0 {
				t.Fatalf("pipeline %v exit code = %d; want 0 (stderr %q)", args, code, stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, ".pipeline", "state.db")); (err == nil) != (tt.state == "") {
				t.Fatalf("default state database with --state %q: %v; want it only without --state", tt.state, err)
			}
			if _, err := os.Stat(filepath.Join(dir, ".pipeline", "artifacts", "sha256")); err != nil {
				t.Fatalf("default artifact store: %v", err)
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

// packagedArtifact adds a package stage whose artifact the run stores in
// the artifact store.
const packagedArtifact = `
package "app" {
  step "dist" {
    run = "mkdir -p dist && echo app > dist/app"
  }
  artifact "bin" { path = "dist/app" }
}
`
