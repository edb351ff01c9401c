// Package gitsrc reads pipeline configuration and git.* context values from a
// git repository through the git command-line tool.
//
// Every function takes the repository root (see RepoRoot) and runs git with
// "-C root", so the caller's working directory does not matter. Files are read
// from the object store, never from the working tree, so a dirty working tree
// or another checked-out branch does not change what RefFS returns. Each call
// runs a small, fixed number of git processes, independent of the number of
// files involved.
package gitsrc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// ErrNotRepo is returned when a directory is not inside a git work tree.
var ErrNotRepo = errors.New("not a git repository")

// ErrUnknownRef is returned when a ref (branch, tag, commit hash or any other
// commit-ish) does not resolve to a commit in the repository.
var ErrUnknownRef = errors.New("unknown git ref")

// ErrNoDefaultBranch reports a repository whose default branch cannot be
// determined (no origin/HEAD, and no init.defaultBranch, main or master
// branch).
var ErrNoDefaultBranch = errors.New("no default branch")

// GitError is a git command that failed. It carries what git printed on
// standard error so that a user sees git's own explanation.
type GitError struct {
	Args   []string // the git arguments, without "-C root"
	Stderr string   // trimmed standard error
	Err    error    // the *exec.ExitError or the error starting git
}

func (e *GitError) Error() string {
	msg := "git " + strings.Join(e.Args, " ") + ": " + e.Err.Error()
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *GitError) Unwrap() error { return e.Err }

// exitCode returns the exit status of a git command that ran and failed, or
// -1 when err is not such a failure.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// gitEnv is the environment for git child processes: the caller's, without
// the variables that would make git look at another repository than the one
// named with -C, and with a fixed locale and no prompts.
func gitEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR",
			"GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES",
			"LC_ALL", "LANG", "LANGUAGE":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_OPTIONAL_LOCKS=0")
}

// git runs "git -C root args..." with stdin (may be nil) and returns its
// standard output. A failure is a *GitError.
func git(root string, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
	cmd.Env = gitEnv()
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &GitError{Args: args, Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	return stdout.Bytes(), nil
}

// gitLine runs git and returns its output with the trailing newline removed.
func gitLine(root string, args ...string) (string, error) {
	out, err := git(root, nil, args...)
	return strings.TrimRight(string(out), "\r\n"), err
}

// resolve returns the full hash of the commit ref names, or an error
// wrapping ErrUnknownRef that names the ref and says how to find it.
func resolve(root, ref string) (string, error) {
	if ref == "" {
		return "", fmt.Errorf("%w: empty ref; name a branch, tag or commit", ErrUnknownRef)
	}
	if strings.HasPrefix(ref, "-") { // never a ref name; git would read it as an option
		return "", fmt.Errorf("%w %q: a ref name cannot start with '-'", ErrUnknownRef, ref)
	}
	sha, err := gitLine(root, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		if exitCode(err) == 1 { // --verify --quiet: the name resolves to no commit
			return "", fmt.Errorf("%w %q in %s: it names no commit; fetch it with `git fetch origin` "+
				"or list the known branches with `git branch -a` (and tags with `git tag`)", ErrUnknownRef, ref, root)
		}
		return "", fmt.Errorf("resolving git ref %q: %w", ref, err)
	}
	return sha, nil
}
