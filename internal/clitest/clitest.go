// Package clitest builds the pipeline CLI of this module once per test
// binary, for tests that drive it as a user would.
package clitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Package is the import path of the CLI's main package.
const Package = "github.com/pipeline-cd/pipeline/cmd/pipeline"

var build struct {
	sync.Once
	dir  string
	path string
	out  []byte
	err  error
}

// Binary returns the path of the pipeline CLI built from this module,
// building it on first use; it fails t when the build fails. The binary
// lives in a temporary directory that Main removes.
func Binary(t testing.TB) string {
	t.Helper()
	build.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "pipeline-cli-")
		if build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "pipeline")
		build.out, build.err = exec.Command("go", "build", "-o", build.path, Package).CombinedOutput()
	})
	if build.err != nil {
		t.Fatalf("go build %s: %v\n%s", Package, build.err, build.out)
	}
	return build.path
}

// Main runs the tests of m and removes the binary Binary built; a
// package's TestMain calls os.Exit(clitest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
	return code
}
