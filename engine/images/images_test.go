package images_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"

	"github.com/pipeline-cd/pipeline/engine/images"
	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/docker"
	"github.com/pipeline-cd/pipeline/runners/runnertest"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

// TestEnsureBuildsOnceAndHonoursDockerignore builds a step image from a
// context with a .dockerignore against the real engine: the ignored file is
// not in the image, a second Ensure of the unchanged context builds nothing
// and returns the same image, and a change to an ignored file changes
// nothing while a change to a sent file gives a new tag.
func TestEnsureBuildsOnceAndHonoursDockerignore(t *testing.T) {
	cli := testenv.RequireDocker(t)
	testenv.RequireTestImage(t)
	dir := t.TempDir()
	ctxDir := filepath.Join(dir, "ci")
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(ctxDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("tools.Dockerfile", "FROM "+testenv.TestImage+"\nARG WORD=none\nCOPY . /ctx/\nRUN echo \"$WORD\" > /word\n")
	write("keep.txt", "kept\n")
	write("secret/token", "do not send\n")
	write("build/big.bin", "ignored too\n")
	write(".dockerignore", "secret\nbuild/**\n")
	pipeline := fmt.Sprintf("imgtest-%d", os.Getpid())
	spec := images.Spec{Pipeline: pipeline, Name: "tools", Dir: dir, Context: "ci", Dockerfile: "tools.Dockerfile", Args: map[string]string{"WORD": "hello"}}
	ctx := context.Background()
	var tags []string
	t.Cleanup(func() {
		for _, tag := range tags {
			_, _ = cli.ImageRemove(context.Background(), tag, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	})

	first, err := images.Ensure(ctx, cli, spec)
	if err != nil {
		t.Fatalf("Ensure = %v", err)
	}
	tags = append(tags, first.Tag)
	if !first.Built || !strings.HasPrefix(first.Tag, "pipeline-step/"+pipeline+"-tools:") {
		t.Errorf("first Ensure = built %v, tag %s; want a build tagged pipeline-step/%s-tools:DIGEST", first.Built, first.Tag, pipeline)
	}
	out := runIn(t, first.Tag, "cat /word; ls /ctx; ls /ctx/secret 2>&1 || true; ls /ctx/build 2>&1 || true")
	if !strings.Contains(out, "hello\n") || !strings.Contains(out, "keep.txt") || strings.Contains(out, "token") || strings.Contains(out, "big.bin") {
		t.Errorf("image content:\n%s\nwant /word = hello, keep.txt, and neither secret/token nor build/big.bin (.dockerignore)", out)
	}

	again, err := images.Ensure(ctx, cli, spec)
	if err != nil {
		t.Fatalf("second Ensure = %v", err)
	}
	if again.Built || again.ID != first.ID || again.Tag != first.Tag {
		t.Errorf("second Ensure of an unchanged context = built %v, %s %s; want no build, %s %s", again.Built, again.Tag, again.ID, first.Tag, first.ID)
	}

	write("secret/token", "changed, still not sent\n")
	ignored, err := images.Ensure(ctx, cli, spec)
	if err != nil {
		t.Fatalf("Ensure after an ignored change = %v", err)
	}
	if ignored.Built || ignored.Tag != first.Tag {
		t.Errorf("a change to an ignored file rebuilt the image (%s, built %v)", ignored.Tag, ignored.Built)
	}

	write("keep.txt", "changed\n")
	changed, err := images.Ensure(ctx, cli, spec)
	if err != nil {
		t.Fatalf("Ensure after a change = %v", err)
	}
	tags = append(tags, changed.Tag)
	if !changed.Built || changed.Tag == first.Tag {
		t.Errorf("a change to a sent file: built %v, tag %s; want a new build with a new tag", changed.Built, changed.Tag)
	}
}

func TestContextDirStaysInside(t *testing.T) {
	for _, tt := range []struct {
		context string
		ok      bool
	}{{".", true}, {"ci", true}, {"ci/../tools", true}, {"..", false}, {"../x", false}, {"/etc", false}} {
		_, err := images.ContextDir("/repo/app", tt.context)
		if (err == nil) != tt.ok {
			t.Errorf("ContextDir(%q) error = %v; want ok %v", tt.context, err, tt.ok)
		}
	}
}

// runIn runs script in a container of tag through the Docker runner.
func runIn(t *testing.T, tag, script string) string {
	t.Helper()
	cli := testenv.RequireDocker(t)
	r := docker.New(cli, docker.Options{StopGrace: time.Second}, nil)
	defer r.Close(context.Background())
	var out runnertest.Buffer
	res, err := r.Run(context.Background(), &runners.Step{ID: "probe", RunID: fmt.Sprintf("imgtest-%d", os.Getpid()), Image: tag, Pull: "never", Script: script, NoWorkspace: true}, &out, &out)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("running in %s: %v, %v\n%s", tag, res, err, out.String())
	}
	return out.String()
}
