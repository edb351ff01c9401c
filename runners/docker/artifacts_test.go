package docker

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/runnertest"
)

// TestTranslateArtifacts checks that Step.Artifacts becomes a read-only
// bind at runners.ArtifactsMount and needs no --allow-privileged.
func TestTranslateArtifacts(t *testing.T) {
	r := New(nil, Options{}, hclog.NewNullLogger())
	step := &runners.Step{ID: "deploy", Image: "img", Script: "true", Workspace: "/src", Artifacts: "/srv/artifacts"}
	spec, err := r.translate(step)
	if err != nil {
		t.Fatalf("translate(Artifacts %q) = %v; want nil (no privilege needed)", step.Artifacts, err)
	}
	want := []string{"/src:/workspace", "/srv/artifacts:" + runners.ArtifactsMount + ":ro"}
	if !slices.Equal(spec.host.Binds, want) {
		t.Errorf("translate(Artifacts %q).Binds = %v; want %v", step.Artifacts, spec.host.Binds, want)
	}
}

// TestArtifactsMountedReadOnly runs steps on the real engine: a file of the
// artifact store is readable at runners.ArtifactsMount, and writing there
// fails.
func TestArtifactsMountedReadOnly(t *testing.T) {
	r, _ := newTestRunner(t, Options{})
	store := t.TempDir()
	blob := filepath.Join(store, "sha256", "ab", "abcdef")
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, []byte("artifact content\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		script   string
		wantExit int
		wantOut  string
	}{
		{"read", "cat " + runners.ArtifactsMount + "/sha256/ab/abcdef", 0, "artifact content"},
		{"write a new file", "echo x > " + runners.ArtifactsMount + "/new", 1, "Read-only file system"},
		{"remove a blob", "rm -f " + runners.ArtifactsMount + "/sha256/ab/abcdef", 1, "Read-only file system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := &runners.Step{ID: "artifacts", RunID: runID(t), Image: testenv.TestImage, Workspace: t.TempDir(),
				Artifacts: store, Script: tt.script}
			var out runnertest.Buffer
			res, err := r.Run(context.Background(), step, &out, &out)
			if err != nil {
				t.Fatalf("Run(%q) = %v", tt.script, err)
			}
			if res.ExitCode != tt.wantExit || !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("Run(%q) = exit %d, output %q; want exit %d and output containing %q",
					tt.script, res.ExitCode, out.String(), tt.wantExit, tt.wantOut)
			}
		})
	}
	if b, err := os.ReadFile(blob); err != nil || string(b) != "artifact content\n" {
		t.Errorf("blob after the steps = %q, %v; want it unchanged", b, err)
	}
}
