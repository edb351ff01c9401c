package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/gittest"
)

const sharedArtifactsPipeline = `pipeline "shared" {
  version = "1.0.${git.commit_count}"
  image   = "alpine:3.20"
}

package "app" {
  step "dist" {
    runner = "local"
    run    = "mkdir -p dist && echo shipped-from-clone-a > dist/app"
  }
  artifact "bin" { path = "dist/app" }
}

environment "staging" {
  step "rollout" {
    runner = "local"
    run    = "cat ${release.artifacts.bin}"
  }
}
`

// TestSharedArtifactStore checks that two clones sharing one SQLite state
// file and one artifact store (--artifacts or PIPELINE_ARTIFACTS) can build
// a release in one and deploy it from the other, and that without the
// shared store the deploy fails naming the blob, the directory searched
// and the fix.
func TestSharedArtifactStore(t *testing.T) {
	t.Setenv("PIPELINE_STATE", "")
	t.Setenv("PIPELINE_ARTIFACTS", "")
	a := gittest.Init(t)
	gittest.Commit(t, a, "pipeline", map[string]string{"pipeline.hcl": sharedArtifactsPipeline, ".gitignore": "dist/\n"})
	b := filepath.Join(t.TempDir(), "clone-b")
	gittest.Git(t, a, "clone", "-q", a, b)
	shared := t.TempDir()
	db, store := filepath.Join(shared, "state.db"), filepath.Join(shared, "store")

	code, stdout, stderr := runCLI(t, "run", "--plain", "--runner", "local", "-C", a, "--state", db, "--artifacts", store)
	if code != 0 || !strings.Contains(stdout, "shipped-from-clone-a") {
		t.Fatalf("pipeline run in clone a: exit %d, stdout %q, stderr %q; want 0 and the artifact printed by rollout", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(a, ".pipeline")); err == nil {
		t.Errorf("clone a has a .pipeline directory; want the state and the artifacts only in the shared directory")
	}

	t.Run("without the shared store", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "deploy", "staging", "--release", "1.0.1", "--plain", "--runner", "local", "-C", b, "--state", db)
		if code != 1 {
			t.Fatalf("pipeline deploy from clone b without --artifacts: exit %d (stdout %q, stderr %q); want 1", code, stdout, stderr)
		}
		for _, want := range []string{"blob sha256:", filepath.Join(shared, "artifacts"), "--artifacts", "PIPELINE_ARTIFACTS"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("pipeline deploy from clone b without --artifacts: stderr %q does not contain %q", stderr, want)
			}
		}
	})
	tests := []struct {
		name string
		args []string
		env  string // PIPELINE_ARTIFACTS
	}{
		{"--artifacts", []string{"--artifacts", store}, ""},
		{"PIPELINE_ARTIFACTS", nil, store},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PIPELINE_ARTIFACTS", tt.env)
			args := append([]string{"deploy", "staging", "--release", "1.0.1", "--plain", "--runner", "local", "-C", b, "--state", db}, tt.args...)
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 || !strings.Contains(stdout, "shipped-from-clone-a") {
				t.Errorf("pipeline %v from clone b: exit %d, stdout %q, stderr %q; want 0 and the artifact built in clone a", args, code, stdout, stderr)
			}
		})
	}
}
