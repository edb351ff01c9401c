package cache

import (
	"os"
	"path/filepath"
	"testing"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestOutputPathStaysInWorkspace(t *testing.T) {
	ws := t.TempDir()
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "dist"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ws, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "x"), filepath.Join(ws, "dist", "link")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		rel string
		ok  bool
	}{
		{"dist/app", true},
		{"new/dir/app", true},
		{"../x", false},
		{"escape/app", false},
		{"escape/sub/app", false},
		{"dist/link", false},
	} {
		_, err := outputPath(ws, tt.rel)
		if (err == nil) != tt.ok {
			t.Errorf("outputPath(%q) error = %v; want ok %v", tt.rel, err, tt.ok)
		}
	}
}

func TestMatchDoesNotFollowLinksOut(t *testing.T) {
	ws := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "in.txt"), []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(ws, "escape")); err != nil {
		t.Fatal(err)
	}
	got, err := Match(ws, []string{"escape/secret", "escape/*", "**/secret", "in.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "in.txt" {
		t.Errorf("Match through a link out of the workspace = %v; want [in.txt]", got)
	}
}
