package docker

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
)

// crashEnv makes the test binary act as a pipeline process that runs one
// long step and is then killed with SIGKILL by TestCleanupAfterCrash.
const crashEnv = "PIPELINE_DOCKER_CRASH_RUN"

func TestMain(m *testing.M) {
	if run := os.Getenv(crashEnv); run != "" {
		os.Exit(crashChild(run))
	}
	os.Exit(m.Run())
}

// crashChild runs a step that sleeps until the process is killed.
func crashChild(run string) int {
	r, err := NewFromEnv(Options{}, nil)
	if err != nil {
		return 2
	}
	step := &runners.Step{ID: "sleeper", RunID: run, Image: testenv.TestImage, Script: "echo started; sleep 60"}
	if _, err := r.Run(context.Background(), step, os.Stdout, os.Stderr); err != nil {
		return 2
	}
	return 0
}

func TestCleanupAfterCrash(t *testing.T) {
	r, cli := newTestRunner(t, Options{})
	testenv.RequireTestImage(t)
	run := runID(t)
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), crashEnv+"="+run)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })

	deadline := time.Now().Add(30 * time.Second)
	for len(containersOf(t, cli, run)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the child process created no container labelled %s=%s within 30s", runners.LabelRun, run)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	if n := len(containersOf(t, cli, run)); n != 1 {
		t.Fatalf("containers left by the killed process = %d; want 1 (the test proves nothing otherwise)", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := r.Cleanup(ctx, false)
	if err != nil || n < 1 {
		t.Errorf("Cleanup(false) = %d, %v; want at least 1, nil", n, err)
	}
	if left := containersOf(t, cli, run); len(left) != 0 {
		t.Errorf("containers labelled %s=%s after Cleanup = %d; want 0", runners.LabelRun, run, len(left))
	}
}
