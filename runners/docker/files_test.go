package docker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/runnertest"
)

// TestStepUserOwnsWorkspaceFiles runs a step as uid:gid 4321:4321 (what
// the engine passes by default is the invoking user's uid:gid): the file it
// writes in the workspace belongs to that user on the host, and HOME is a
// writable /tmp because the uid has no passwd entry in the image.
func TestStepUserOwnsWorkspaceFiles(t *testing.T) {
	r, _ := newTestRunner(t, Options{})
	ws := t.TempDir()
	// The workspace must be writable by the step's user.
	if err := os.Chmod(ws, 0o777); err != nil {
		t.Fatal(err)
	}
	var out runnertest.Buffer
	res, err := r.Run(context.Background(), &runners.Step{
		ID: "user", RunID: runID(t), Image: testenv.TestImage, Workspace: ws, User: "4321:4321",
		Script: `id -u; id -g; echo "home=$HOME"; touch "$HOME/probe" && echo home-writable; echo data > out.txt`,
	}, &out, &out)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %v, %v; output:\n%s", res, err, out.String())
	}
	for _, want := range []string{"4321\n4321\n", "home=/tmp\n", "home-writable\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q does not contain %q", out.String(), want)
		}
	}
	st, err := os.Stat(filepath.Join(ws, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if sys.Uid != 4321 || sys.Gid != 4321 {
		t.Errorf("out.txt belongs to %d:%d; want 4321:4321", sys.Uid, sys.Gid)
	}
}

// TestNoWorkspace runs a step with workspace = false: nothing is mounted at
// /workspace and the step starts in the image's WORKDIR (/ for the test
// image).
func TestNoWorkspace(t *testing.T) {
	r, _ := newTestRunner(t, Options{})
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "marker"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out runnertest.Buffer
	res, err := r.Run(context.Background(), &runners.Step{
		ID: "nows", RunID: runID(t), Image: testenv.TestImage, Workspace: ws, NoWorkspace: true,
		Script: `pwd; test -e /workspace/marker && echo mounted || echo not-mounted`,
	}, &out, &out)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %v, %v; output:\n%s", res, err, out.String())
	}
	if got, want := out.String(), "/\nnot-mounted\n"; got != want {
		t.Errorf("output = %q; want %q", got, want)
	}
}

// TestCacheVolumeKeptBetweenSteps writes into a cache from one step and
// reads it from another, as a non-root user: the named volume is created
// once with its labels, handed to the user, and outlives the containers.
func TestCacheVolumeKeptBetweenSteps(t *testing.T) {
	r, cli := newTestRunner(t, Options{})
	name := fmt.Sprintf("pipeline-test-cache-%d-%s", os.Getpid(), strings.ToLower(t.Name()))
	t.Cleanup(func() {
		// The steps' containers are removed in the background; the
		// volume can go once they are.
		_ = r.Wait(context.Background())
		if err := cli.VolumeRemove(context.Background(), name, true); err != nil {
			t.Errorf("removing the test volume %s: %v", name, err)
		}
	})
	caches := []runners.Cache{{Path: "/cache", Volume: name, Labels: map[string]string{"dev.pipeline.cache": "true", "dev.pipeline.test": "1"}}}
	ws := t.TempDir()
	for i, script := range []string{`echo kept > /cache/f && id -u`, `cat /cache/f && ls -ln /cache/f | awk '{print $3}'`} {
		var out runnertest.Buffer
		res, err := r.Run(context.Background(), &runners.Step{
			ID: fmt.Sprintf("s%d", i), RunID: runID(t), Image: testenv.TestImage, Workspace: ws, User: "4321:4321",
			Caches: caches, Script: script,
		}, &out, &out)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("step %d: Run = %v, %v; output:\n%s", i, res, err, out.String())
		}
		if i == 1 && out.String() != "kept\n4321\n" {
			t.Errorf("second step output = %q; want the first step's file, owned by 4321", out.String())
		}
	}
	v, err := cli.VolumeInspect(context.Background(), name)
	if err != nil {
		t.Fatalf("VolumeInspect = %v; want the cache volume to remain", err)
	}
	if v.Labels["dev.pipeline.cache"] != "true" {
		t.Errorf("volume labels = %v; want dev.pipeline.cache=true", v.Labels)
	}
}
