package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/pipeline-cd/pipeline/internal/testenv"
)

// reusable builds an image from the repository, writes a binary output
// with random bytes (a re-run would change it) and checks it in a second
// step that needs the first.
const reusable = `
pipeline "reuse" {
  image = "pipeline-test/busybox:latest"
}

image "tools" {
  context    = "ci"
  dockerfile = "tools.Dockerfile"
}

build "app" {
  step "gen" {
    image   = image.tools
    inputs  = ["src/*.txt"]
    outputs = ["dist/app.bin"]
    caches  = ["/cache"]
    run     = "mkdir -p dist && cat src/*.txt > dist/app.bin && head -c 4096 /dev/urandom >> dist/app.bin && stamp > /cache/last && echo gen done"
  }
  step "check" {
    needs   = [step.gen]
    inputs  = ["dist/app.bin"]
    outputs = ["dist/check.txt"]
    run     = "wc -c < dist/app.bin > dist/check.txt"
  }
}
`

// TestReuseWithDocker runs the pipeline twice on one commit through the
// binary and the real Docker engine: the second run restores both outputs
// byte for byte, shows them reused from the first run, and creates no
// container (counted from the engine's events for its run label); a
// changed input runs the steps again.
func TestReuseWithDocker(t *testing.T) {
	testenv.RequireTestImage(t)
	cli := testenv.RequireDocker(t)
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": reusable, "src/a.txt": "alpha\n",
		"ci/tools.Dockerfile": "FROM pipeline-test/busybox:latest\nCOPY stamp /usr/local/bin/stamp\n",
		"ci/stamp":            "#!/bin/sh\ndate +%s\n"})
	if err := os.Chmod(filepath.Join(r.dir, "ci", "stamp"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		list, _ := cli.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", "pipeline-step/reuse-tools"))})
		for _, im := range list {
			_, _ = cli.ImageRemove(ctx, im.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		}
		r.pipeline(nil, "cache", "prune")
	})
	first := r.must(0, nil, "run", "--plain")
	firstID := runID(t, first.stdout)
	read := func(name string) []byte {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(r.dir, "dist", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	wantBin, wantCheck := read("app.bin"), read("check.txt")
	if err := os.RemoveAll(filepath.Join(r.dir, "dist")); err != nil {
		t.Fatal(err)
	}

	since := time.Now()
	second := r.must(0, nil, "run", "--plain")
	secondID := runID(t, second.stdout)
	if got := read("app.bin"); !bytes.Equal(got, wantBin) {
		t.Errorf("dist/app.bin after the reusing run differs from the first run's (%d vs %d bytes)", len(got), len(wantBin))
	}
	if got := read("check.txt"); !bytes.Equal(got, wantCheck) {
		t.Errorf("dist/check.txt = %q; want %q", got, wantCheck)
	}
	for _, step := range []string{"build.app.gen", "build.app.check"} {
		if !strings.Contains(second.stdout, step+" (") || !strings.Contains(second.stdout, "reused from run "+firstID) {
			t.Errorf("second run output does not show %s reused from run %s:\n%s", step, firstID, second.stdout)
		}
	}
	if !strings.Contains(second.stdout, "[build.app.gen] gen done") {
		t.Errorf("second run does not show the reused step's recorded log:\n%s", second.stdout)
	}
	if n := containersCreated(t, since, secondID); n != 0 {
		t.Errorf("the reusing run created %d containers; want 0", n)
	}

	ls := r.must(0, nil, "cache", "ls").stdout
	for _, want := range []string{"result", "build.app.gen", "volume", "/cache"} {
		if !strings.Contains(ls, want) {
			t.Errorf("cache ls does not list %q:\n%s", want, ls)
		}
	}

	r.write(map[string]string{"src/a.txt": "beta\n"})
	third := r.must(0, nil, "run", "--plain", "--allow-dirty")
	if strings.Contains(third.stdout, "reused from run") {
		t.Errorf("a changed input still reused a result:\n%s", third.stdout)
	}
	if n := containersCreated(t, since, runID(t, third.stdout)); n != 2 {
		t.Errorf("the run after a change created %d containers; want 2", n)
	}
}

// containersCreated counts the engine's container create events since
// since for containers labelled with run.
func containersCreated(t *testing.T, since time.Time, run string) int {
	t.Helper()
	cli := testenv.RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, errs := cli.Events(ctx, events.ListOptions{
		Since: since.Add(-time.Second).Format(time.RFC3339Nano),
		Until: time.Now().Add(time.Second).Format(time.RFC3339Nano),
		Filters: filters.NewArgs(filters.Arg("type", "container"), filters.Arg("event", "create"),
			filters.Arg("label", "dev.pipeline.run="+run)),
	})
	n := 0
	for {
		select {
		case <-msgs:
			n++
		case err := <-errs:
			if err != nil && !errors.Is(err, io.EOF) {
				t.Fatalf("reading Docker events: %v", err)
			}
			return n
		}
	}
}
