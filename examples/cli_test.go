package examples_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/clitest"
)

func TestMain(m *testing.M) { os.Exit(clitest.Main(m)) }

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
	cmd := exec.Command(clitest.Binary(t), args...)
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
