package examples_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// cliBuild holds the pipeline binary built once per test binary.
var cliBuild struct {
	sync.Once
	path string
	out  []byte
	err  error
}

// binDir is the directory TestMain creates for the CLI binary.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pipeline-examples-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// pipelineCLI returns the path of the pipeline CLI built from this module,
// building it on first use.
func pipelineCLI(t *testing.T) string {
	t.Helper()
	cliBuild.Do(func() {
		cliBuild.path = filepath.Join(binDir, "pipeline")
		cmd := exec.Command("go", "build", "-o", cliBuild.path, "github.com/pipeline-cd/pipeline/cmd/pipeline")
		cmd.Dir = ".."
		cliBuild.out, cliBuild.err = cmd.CombinedOutput()
	})
	if cliBuild.err != nil {
		t.Fatalf("go build ./cmd/pipeline: %v\n%s", cliBuild.err, cliBuild.out)
	}
	return cliBuild.path
}

// result is how one CLI invocation ended.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return "pipeline " + strings.Join(r.args, " ") + "\n--- stdout\n" + r.stdout + "--- stderr\n" + r.stderr
}

// cli runs the pipeline CLI in dir with extra environment variables and
// returns its output and exit code. It fails t only when the binary could
// not be started at all.
func cli(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(pipelineCLI(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running pipeline %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// mustCode runs the CLI and fails t unless it exits with want.
func mustCode(t *testing.T, want int, dir string, env []string, args ...string) result {
	t.Helper()
	res := cli(t, dir, env, args...)
	if res.code != want {
		t.Fatalf("exit code %d; want %d\n%s", res.code, want, res)
	}
	return res
}
