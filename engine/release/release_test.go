package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/internal/testenv"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestCASPut(t *testing.T) {
	dir := t.TempDir()
	cas := &CAS{Root: filepath.Join(dir, "artifacts")}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, content string
		wantSum       string
	}{
		{"a.txt", "hello\n", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"},
		{"b.txt", "hello\n", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"},
		{"empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, size, err := cas.Put(write(tt.name, tt.content))
			if err != nil {
				t.Fatalf("Put(%q) error: %v", tt.name, err)
			}
			if sum != tt.wantSum || size != int64(len(tt.content)) {
				t.Errorf("Put(%q) = %s, %d; want %s, %d", tt.name, sum, size, tt.wantSum, len(tt.content))
			}
			got, err := os.ReadFile(cas.Path(sum))
			if err != nil || string(got) != tt.content {
				t.Errorf("blob %s = %q, %v; want %q", sum, got, err, tt.content)
			}
			if err := cas.Verify(sum); err != nil {
				t.Errorf("Verify(%s) = %v; want nil", sum, err)
			}
		})
	}
	if entries, _ := os.ReadDir(filepath.Join(cas.Root, "tmp")); len(entries) != 0 {
		t.Errorf("tmp holds %d files after Put; want 0", len(entries))
	}
}

func TestCASErrors(t *testing.T) {
	dir := t.TempDir()
	cas := &CAS{Root: dir}
	if _, _, err := cas.Put(filepath.Join(dir, "nope")); !errors.Is(err, ErrArtifactMissing) {
		t.Errorf("Put(missing) = %v; want ErrArtifactMissing", err)
	}
	if _, _, err := cas.Put(dir); !errors.Is(err, ErrArtifactMissing) {
		t.Errorf("Put(directory) = %v; want ErrArtifactMissing", err)
	}
	if err := cas.Verify("00ff"); !errors.Is(err, ErrArtifactMissing) {
		t.Errorf("Verify(unknown) = %v; want ErrArtifactMissing", err)
	}
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, _, err := cas.Put(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cas.Path(sum), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cas.Path(sum), []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cas.Verify(sum); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Verify(changed blob) = %v; want ErrCorrupt", err)
	}
}

// TestCleanTempKeepsLiveWriters reproduces `pipeline gc` running while a
// run puts an artifact into the same store: the gc (another CAS on the
// same directory and host) must leave the live writer's temporary file
// alone, and the put must succeed. It also removes only what a dead
// writer of this host left, and old files without a writer in their name.
func TestCleanTempKeepsLiveWriters(t *testing.T) {
	dir := t.TempDir()
	writer := &CAS{Root: dir, HostID: "host-a"}
	gc := &CAS{Root: dir, HostID: "host-a"}

	pr, pw := io.Pipe()
	type putResult struct {
		sum string
		err error
	}
	done := make(chan putResult, 1)
	go func() {
		sum, _, err := writer.put(pr)
		done <- putResult{sum, err}
	}()
	if _, err := pw.Write([]byte("first half of a big artifact, ")); err != nil {
		t.Fatal(err)
	}
	tmpDir := filepath.Join(dir, "tmp")
	if entries, err := os.ReadDir(tmpDir); err != nil || len(entries) != 1 {
		t.Fatalf("tmp holds %v (%v) while the put runs; want its one temporary file", entries, err)
	}
	if n, err := gc.CleanTemp(); n != 0 || err != nil {
		t.Errorf("CleanTemp() during a live put = %d, %v; want 0, nil", n, err)
	}
	if _, err := pw.Write([]byte("second half")); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	res := <-done
	if res.err != nil {
		t.Fatalf("put after a concurrent CleanTemp = %v; want nil", res.err)
	}
	if err := writer.Verify(res.sum); err != nil {
		t.Errorf("Verify(%s) = %v; want the blob complete", res.sum, err)
	}

	child := exec.Command("true")
	if err := child.Run(); err != nil {
		t.Fatal(err)
	}
	dead := child.Process.Pid
	files := map[string]bool{ // name -> removed by CleanTemp
		fmt.Sprintf("blob-%s-%d-1", hostKey("host-a"), dead):        true,
		fmt.Sprintf("blob-%s-%d-2", hostKey("host-a"), os.Getpid()): false,
		fmt.Sprintf("blob-%s-%d-3", hostKey("host-b"), dead):        false,
		"blob-123": false, // no writer in the name, recent
		"blob-456": true,  // no writer in the name, two days old
	}
	for name := range files {
		p := filepath.Join(tmpDir, name)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if name == "blob-456" {
			old := time.Now().Add(-48 * time.Hour)
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := gc.CleanTemp(); n != 2 || err != nil {
		t.Errorf("CleanTemp() = %d, %v; want 2, nil", n, err)
	}
	for name, removed := range files {
		_, err := os.Stat(filepath.Join(tmpDir, name))
		if gone := errors.Is(err, fs.ErrNotExist); gone != removed {
			t.Errorf("after CleanTemp %s removed = %v; want %v", name, gone, removed)
		}
	}
}

func TestDigest(t *testing.T) {
	base := func() *state.Release {
		return &state.Release{Pipeline: "webapp", Version: "1.0.3", Commit: "abc", ConfigDigest: "sha256:c",
			Artifacts: []state.Artifact{{Name: "bin", SHA256: "11"}, {Name: "doc", SHA256: "22"}},
			Images:    []state.Image{{Name: "web", ID: "sha256:33"}}}
	}
	ref := Digest(base())
	if !strings.HasPrefix(ref, "sha256:") || len(ref) != 71 {
		t.Fatalf("Digest = %q; want sha256: and 64 hex digits", ref)
	}
	tests := []struct {
		name   string
		change func(r *state.Release)
		same   bool
	}{
		{"artifact order", func(r *state.Release) { r.Artifacts[0], r.Artifacts[1] = r.Artifacts[1], r.Artifacts[0] }, true},
		{"created at and id", func(r *state.Release) { r.ID, r.CreatedAt = "x", time.Now() }, true},
		{"artifact content", func(r *state.Release) { r.Artifacts[0].SHA256 = "99" }, false},
		{"image id", func(r *state.Release) { r.Images[0].ID = "sha256:44" }, false},
		{"version", func(r *state.Release) { r.Version = "1.0.4" }, false},
		{"commit", func(r *state.Release) { r.Commit = "def" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.change(r)
			if got := Digest(r); (got == ref) != tt.same {
				t.Errorf("Digest after %s = %s; same as before = %v, want %v", tt.name, got, got == ref, tt.same)
			}
		})
	}
}

func TestReadBuildStream(t *testing.T) {
	tests := []struct {
		name, stream, wantOut string
		wantErr               bool
	}{
		{"ok", `{"stream":"Step 1/2 : FROM scratch\n"}{"aux":{"ID":"sha256:1"}}{"stream":"done\n"}`, "Step 1/2 : FROM scratch\ndone\n", false},
		{"error", `{"stream":"Step 1/2\n"}{"error":"COPY failed: no such file","errorDetail":{"message":"COPY failed"}}`, "Step 1/2\n", true},
		{"garbage", `{"stream":`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := readBuildStream(strings.NewReader(tt.stream), &out)
			if (err != nil) != tt.wantErr || out.String() != tt.wantOut {
				t.Errorf("readBuildStream(%s) = %q, %v; want %q, error %v", tt.name, out.String(), err, tt.wantOut, tt.wantErr)
			}
		})
	}
}

func TestBuildImageDocker(t *testing.T) {
	cli := testenv.RequireDocker(t)
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":     "FROM scratch\nCOPY hello.txt /hello.txt\n",
		"hello.txt":      "hello from a release\n",
		"bad/Dockerfile": "FROM scratch\nCOPY missing.txt /\n",
	}
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tag := "pipeline-test/release-image:" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), tag, imageRemoveOptions()) })
	var out bytes.Buffer
	img, err := BuildImage(ctx, cli, ImageSpec{Name: "web", ContextDir: dir, Tag: tag,
		Labels: map[string]string{"dev.pipeline.managed": "true"}}, &out)
	if err != nil {
		t.Fatalf("BuildImage: %v\n%s", err, out.String())
	}
	if !strings.HasPrefix(img.ID, "sha256:") || img.Tag != tag || img.Name != "web" {
		t.Errorf("BuildImage = %+v; want sha256 ID, tag %s, name web", img, tag)
	}
	insp, err := cli.ImageInspect(ctx, tag)
	if err != nil || insp.ID != img.ID {
		t.Errorf("ImageInspect(%s).ID = %s, %v; want %s", tag, insp.ID, err, img.ID)
	}
	if !strings.Contains(out.String(), "COPY hello.txt") {
		t.Errorf("build output %q does not show the COPY step", out.String())
	}
	_, err = BuildImage(ctx, cli, ImageSpec{Name: "bad", ContextDir: dir, Dockerfile: "bad/Dockerfile", Tag: tag + "-bad"}, nil)
	if !errors.Is(err, ErrImageBuild) {
		t.Errorf("BuildImage(COPY of a missing file) = %v; want ErrImageBuild", err)
	}
	_, err = BuildImage(ctx, cli, ImageSpec{Name: "none", ContextDir: dir, Dockerfile: "nope", Tag: tag + "-none"}, nil)
	if !errors.Is(err, ErrImageBuild) {
		t.Errorf("BuildImage(missing Dockerfile) = %v; want ErrImageBuild", err)
	}
}
