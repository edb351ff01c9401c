package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

// recorder is a testing.TB that records Skipf and Fatalf instead of
// stopping the goroutine.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Cleanup(f func())                  { r.TB.Cleanup(f) }
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestRequireDockerMissing(t *testing.T) {
	tests := []struct {
		ci       string
		wantSkip bool
	}{
		{"", true},
		{"false", true},
		{"true", false},
	}
	for _, tt := range tests {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			t.Setenv("DOCKER_HOST", "unix:///nonexistent.sock")
			rec := &recorder{TB: t}
			if cli := RequireDocker(rec); cli != nil {
				t.Fatalf("RequireDocker with DOCKER_HOST=unix:///nonexistent.sock = %v; want nil", cli)
			}
			msg := rec.failed
			if tt.wantSkip {
				msg = rec.skipped
			}
			if msg == "" {
				t.Fatalf("RequireDocker with CI=%q: skipped %q, failed %q; want skip: %v", tt.ci, rec.skipped, rec.failed, tt.wantSkip)
			}
			if !strings.Contains(msg, "unix:///nonexistent.sock") {
				t.Errorf("RequireDocker message %q does not name DOCKER_HOST", msg)
			}
		})
	}
}

func TestRequireTestImage(t *testing.T) {
	RequireTestImage(t)
	cli := RequireDocker(t)
	if _, err := cli.ImageInspect(t.Context(), TestImage); err != nil {
		t.Errorf("ImageInspect(%q) after RequireTestImage = %v; want nil", TestImage, err)
	}
}

// TestBuildScript builds the test image under a throwaway name, runs a
// shell in it, and checks that a second build is a no-op.
func TestBuildScript(t *testing.T) {
	cli := RequireDocker(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("pipeline-test/busybox:buildcheck-%d", os.Getpid())
	build := func() string {
		cmd := exec.Command("sh", filepath.Join(root, BuildScript))
		cmd.Env = append(os.Environ(), "IMAGE="+name)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("IMAGE=%s sh %s = %v\n%s", name, BuildScript, err, out)
		}
		return string(out)
	}
	first := build()
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), name, image.RemoveOptions{Force: true})
	})
	if !strings.Contains(first, "built "+name) {
		t.Errorf("first build printed %q; want it to report building %s", first, name)
	}
	if second := build(); !strings.Contains(second, "already exists") {
		t.Errorf("second build printed %q; want it to report the image already exists", second)
	}
	out, err := exec.Command("docker", "run", "--rm", name, "sh", "-c", "echo hi; id -un; ls /tmp >/dev/null && echo tmp").CombinedOutput()
	if err != nil || string(out) != "hi\nroot\ntmp\n" {
		t.Errorf("docker run %s sh -c ... = %q, %v; want %q", name, out, err, "hi\nroot\ntmp\n")
	}
}
