// Package gittest makes real git repositories for tests. Every git command
// it runs ignores the system's git configuration and the user's (unless the
// test set GIT_CONFIG_GLOBAL itself) and uses fixed commit dates, so the
// same commits get the same hashes on every machine.
package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/testenv"
)

// Date is the author and committer date of every commit made through Git.
const Date = "2026-01-02T03:04:05Z"

// Name and Email are the identity Init configures in a new repository.
const (
	Name  = "Alice"
	Email = "alice@example.com"
)

// Require skips t when git is not on PATH, and fails it when CI=true.
func Require(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		testenv.Missing(t, "git is not installed: %v", err)
	}
}

// env is the environment of the git commands this package runs.
func env() []string {
	e := append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_DATE="+Date, "GIT_COMMITTER_DATE="+Date)
	if _, ok := os.LookupEnv("GIT_CONFIG_GLOBAL"); !ok {
		e = append(e, "GIT_CONFIG_GLOBAL="+os.DevNull)
	}
	return e
}

// Git runs git with args in dir and returns its trimmed output; it fails t
// when git fails.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Init creates a repository on branch main in a new temporary directory,
// with Name and Email as its user, and returns the directory with symbolic
// links resolved (git reports resolved paths).
func Init(t testing.TB) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	InitIn(t, dir)
	return dir
}

// InitIn creates a repository on branch main in the existing directory dir,
// with Name and Email as its user; files already in dir are not committed.
func InitIn(t testing.TB, dir string) {
	t.Helper()
	Require(t)
	Git(t, dir, "init", "-q", "-b", "main")
	Git(t, dir, "config", "user.name", Name)
	Git(t, dir, "config", "user.email", Email)
	Git(t, dir, "config", "commit.gpgsign", "false")
}

// Write writes files (slash-separated path relative to dir -> contents)
// below dir, creating directories as needed.
func Write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Commit writes files, stages every change in dir and commits it as the
// configured user; it returns the new commit's hash.
func Commit(t testing.TB, dir, msg string, files map[string]string) string {
	t.Helper()
	return commit(t, dir, nil, msg, files)
}

// CommitAs is Commit with author as the author's and committer's email.
func CommitAs(t testing.TB, dir, author, msg string, files map[string]string) string {
	t.Helper()
	return commit(t, dir, []string{"-c", "user.email=" + author}, msg, files)
}

func commit(t testing.TB, dir string, config []string, msg string, files map[string]string) string {
	t.Helper()
	Write(t, dir, files)
	Git(t, dir, "add", "-A")
	Git(t, dir, append(config, "commit", "-q", "-m", msg)...)
	return Git(t, dir, "rev-parse", "HEAD")
}
