package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/internal/hostid"
	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
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

// TestGCOnlyThisHost simulates two hosts sharing the Docker engine with
// PIPELINE_HOST_ID: gc on host B leaves host A's container of a dead
// process alone; gc on host A removes it.
func TestGCOnlyThisHost(t *testing.T) {
	cli := testenv.RequireDocker(t)
	testenv.RequireTestImage(t)
	t.Setenv("PIPELINE_STATE", "")
	ctx := context.Background()
	// A PID above the kernel's pid_max is never alive and, unlike the PID
	// of a finished child, cannot be reused by a busy machine meanwhile.
	deadPID := 1<<22 + 1
	if b, err := os.ReadFile("/proc/sys/kernel/pid_max"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			deadPID = n + 1
		}
	}
	hostA := fmt.Sprintf("sim-a-%d-%d", os.Getpid(), time.Now().UnixNano())
	run := "gc-test-" + hostA
	c, err := cli.ContainerCreate(ctx, &container.Config{Image: testenv.TestImage, Cmd: []string{"sleep", "30"},
		Labels: map[string]string{runners.LabelManaged: "true", runners.LabelRun: run, runners.LabelHost: hostA,
			runners.LabelPID: strconv.Itoa(deadPID)}}, nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true}) })
	exists := func() bool {
		_, err := cli.ContainerInspect(ctx, c.ID)
		return err == nil
	}
	db := filepath.Join(t.TempDir(), "state.db")
	st, err := sqlite.Open(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	gc := func(host string) string {
		t.Helper()
		t.Setenv(hostid.Env, host)
		code, stdout, stderr := runCLI(t, "gc", "--state", db, "--artifacts", t.TempDir(), "-C", t.TempDir())
		if code != 0 {
			t.Fatalf("pipeline gc as %s exit code = %d (stdout %q, stderr %q)", host, code, stdout, stderr)
		}
		return stdout
	}
	// Another pipeline process on this engine, built before host labels,
	// may remove a container of a dead PID at any moment; gc's own count
	// tells whether it was gc.
	if out := gc("sim-b-" + hostA); !strings.Contains(out, "removed 0 containers") {
		t.Errorf("gc on host B printed %q; want it to remove no container of host A", out)
	}
	if !exists() {
		t.Skip("another process removed host A's container meanwhile; gc on host B did not (it removed none)")
	}
	if out := gc(hostA); !strings.Contains(out, "removed 1 container ") && exists() {
		t.Errorf("gc on host A printed %q and left its container of dead PID %d", out, deadPID)
	}
	if exists() {
		t.Errorf("gc on host A left its container of dead PID %d", deadPID)
	}
}
