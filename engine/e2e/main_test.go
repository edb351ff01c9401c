// Package e2e drives the pipeline binary end to end: real git repositories
// made by the tests, the SQLite state store, the local runner, and kill -9
// of the process at the worst moments.
package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/internal/clitest"
	"github.com/pipeline-cd/pipeline/internal/gittest"
	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestMain(m *testing.M) { os.Exit(clitest.Main(m)) }

// repo is a real git repository made by a test.
type repo struct {
	t   *testing.T
	dir string
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	r := &repo{t: t, dir: gittest.Init(t)}
	r.write(map[string]string{".gitignore": "dist/\n.pipeline/\ndeployed/\ncounts/\n"})
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	return gittest.Git(r.t, r.dir, args...)
}

func (r *repo) write(files map[string]string) {
	r.t.Helper()
	gittest.Write(r.t, r.dir, files)
}

func (r *repo) commit(subject string, files map[string]string) string {
	r.t.Helper()
	return gittest.Commit(r.t, r.dir, subject, files)
}

// result is one finished invocation of the binary.
type result struct {
	code           int
	stdout, stderr string
}

func (r *repo) env(extra ...string) []string {
	env := []string{"HOME=" + r.dir, "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "NO_COLOR=1"}
	return append(env, extra...)
}

// pipeline runs the binary in the repository and waits for it.
func (r *repo) pipeline(env []string, args ...string) result {
	r.t.Helper()
	cmd := exec.Command(clitest.Binary(r.t), args...)
	cmd.Dir = r.dir
	cmd.Env = r.env(env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatalf("pipeline %s: %v", strings.Join(args, " "), err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// must runs the binary and fails the test unless it exits with want.
func (r *repo) must(want int, env []string, args ...string) result {
	r.t.Helper()
	res := r.pipeline(env, args...)
	if res.code != want {
		r.t.Fatalf("pipeline %s exited %d; want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, want, res.stdout, res.stderr)
	}
	return res
}

// start starts the binary without waiting; output goes to files so that
// orphaned step processes cannot hold a pipe open.
func (r *repo) start(env []string, args ...string) (*exec.Cmd, string) {
	r.t.Helper()
	out := filepath.Join(r.t.TempDir(), "out")
	f, err := os.Create(out)
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(clitest.Binary(r.t), args...)
	cmd.Dir = r.dir
	cmd.Env = r.env(env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	return cmd, out
}

// waitFor polls until path exists.
func (r *repo) waitFor(path string, timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if matches, _ := filepath.Glob(filepath.Join(r.dir, path)); len(matches) > 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	r.t.Fatalf("%s did not appear within %s", path, timeout)
}

func (r *repo) count(name string) int {
	b, err := os.ReadFile(filepath.Join(r.dir, "counts", name))
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return v
}

// runID returns the run id the binary printed first.
func runID(t *testing.T, stdout string) string {
	t.Helper()
	first, _, _ := strings.Cut(stdout, "\n")
	f := strings.Fields(first)
	if len(f) < 2 || f[0] != "run" || !strings.HasPrefix(f[1], "r-") {
		t.Fatalf("first line %q does not name the run", first)
	}
	return f[1]
}
