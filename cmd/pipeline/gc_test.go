package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

// TestGCWithoutDockerFails checks that gc exits 1 and says why when no
// Docker engine answers: it cannot know whether containers were left.
func TestGCWithoutDockerFails(t *testing.T) {
	t.Setenv("PIPELINE_STATE", "")
	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1") // nothing listens on port 1
	db := filepath.Join(t.TempDir(), "state.db")
	st, err := sqlite.Open(t.Context(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, _, stderr := runCLI(t, "gc", "--state", db, "--artifacts", t.TempDir(), "-C", t.TempDir())
	if code != exitFailed {
		t.Errorf("pipeline gc without Docker exit code = %d; want %d (stderr %q)", code, exitFailed, stderr)
	}
	for _, want := range []string{"could not reach the Docker engine", "containers left by killed runs were not removed", "DOCKER_HOST"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("pipeline gc without Docker stderr = %q; want it to contain %q", stderr, want)
		}
	}
}
