// Package testenv holds helpers for tests that need real parts of the
// machine: the Docker engine and the local test image.
//
// On a developer's machine a missing part skips the test with a message that
// says what to start or run. When the environment variable CI is "true" a
// missing part fails the test instead, so a green CI run always means the
// real parts were exercised.
package testenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"
)

// TestImage is the image Docker tests run, built from Debian's
// busybox-static package by testdata/image/build.sh.
const TestImage = "pipeline-test/busybox:latest"

// BuildScript is the path of the test image script, relative to the module root.
const BuildScript = "testdata/image/build.sh"

// InCI reports whether the tests run in CI (CI=true), where missing real
// parts are failures, not skips.
func InCI() bool {
	return os.Getenv("CI") == "true"
}

// Missing skips t with the reason, or fails it when InCI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI=true and "+format, args...)
	}
	t.Skipf(format, args...)
}

// RequireDocker returns a client for the Docker engine named by the usual
// environment (DOCKER_HOST, DOCKER_API_VERSION, DOCKER_CERT_PATH,
// DOCKER_TLS_VERIFY), after checking the engine answers a ping. Without a
// reachable engine it skips t, or fails it when InCI. The client is closed
// when t ends.
func RequireDocker(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		Missing(t, "cannot configure a Docker client from the environment (DOCKER_HOST=%q): %v", os.Getenv("DOCKER_HOST"), err)
		return nil
	}
	t.Cleanup(func() { _ = cli.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		Missing(t, "no Docker engine answers at %s (DOCKER_HOST=%q): %v; start dockerd to run this test",
			cli.DaemonHost(), os.Getenv("DOCKER_HOST"), err)
		return nil
	}
	cli.NegotiateAPIVersion(ctx)
	return cli
}

var buildOnce struct {
	sync.Once
	out []byte
	err error
}

// RequireTestImage makes sure TestImage exists in the Docker engine,
// running testdata/image/build.sh (once per test binary) when it does not.
// It skips t when no engine is reachable (fails when InCI) and fails t, naming
// the command to run, when the image cannot be built.
func RequireTestImage(t testing.TB) {
	t.Helper()
	cli := RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := cli.ImageInspect(ctx, TestImage); err == nil {
		return
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("test image %s is missing and the module root was not found (%v); run %s from the repository root", TestImage, err, BuildScript)
	}
	script := filepath.Join(root, BuildScript)
	buildOnce.Do(func() {
		cmd := exec.CommandContext(ctx, "sh", script)
		cmd.Dir = root
		buildOnce.out, buildOnce.err = cmd.CombinedOutput()
	})
	if buildOnce.err != nil {
		t.Fatalf("test image %s is missing and %s failed: %v\n%s\nrun it by hand: sh %s",
			TestImage, BuildScript, buildOnce.err, buildOnce.out, script)
	}
	if _, err := cli.ImageInspect(ctx, TestImage); err != nil {
		t.Fatalf("test image %s is still missing after %s: %v; run it by hand: sh %s", TestImage, BuildScript, err, script)
	}
}

// moduleRoot returns the nearest directory at or above the working
// directory that holds a go.mod file.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
