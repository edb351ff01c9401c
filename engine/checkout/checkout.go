// Package checkout makes temporary, detached git worktrees of one commit,
// so that a deployment or a rollback of a release runs the scripts of the
// release's own commit, not those of the working tree.
//
// A checkout lives below the repository's git directory
// (GIT_COMMON_DIR/pipeline-checkouts/NAME), where `git status` and `git
// add` never see it. Beside it, NAME.owner records the host and process
// that made it, so that Sweep can remove the checkouts of processes that
// were killed before they removed their own.
package checkout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pipeline-cd/pipeline/internal/proc"
)

// dirName is the folder below the git common directory that holds the
// checkouts.
const dirName = "pipeline-checkouts"

// ErrCommitMissing reports a commit that is not in the repository (a
// shallow clone, or a clone that never fetched it).
var ErrCommitMissing = errors.New("commit not in this repository")

// Checkout is one temporary worktree. Remove it when done; it is not safe
// for concurrent use.
type Checkout struct {
	// Root is the worktree's top directory.
	Root   string
	Commit string
	repo   string
}

// Owner identifies the process that made a checkout.
type Owner struct {
	Host   string    `json:"host"`
	PID    int       `json:"pid"`
	RunID  string    `json:"run_id"`
	Commit string    `json:"commit"`
	Since  time.Time `json:"since"`
}

// Available returns nil when commit is a commit of the repository at
// repoRoot, else an error wrapping ErrCommitMissing that names the commit,
// what is (release) and says how to fetch it.
func Available(repoRoot, commit, what string) error {
	if _, err := git(repoRoot, "cat-file", "-e", commit+"^{commit}"); err == nil {
		return nil
	}
	fix := fmt.Sprintf("fetch it (`git fetch origin %s`, or `git fetch --unshallow` for a shallow clone) and run again", commit)
	if out, err := git(repoRoot, "rev-parse", "--is-shallow-repository"); err == nil && strings.TrimSpace(out) == "true" {
		fix = fmt.Sprintf("this is a shallow clone: fetch the history (`git fetch --unshallow`, or `git fetch --depth=1 origin %s`) and run again", commit)
	}
	return fmt.Errorf("%w: %s was built from commit %s, which %s does not have, so its steps cannot run from their own commit; %s",
		ErrCommitMissing, what, commit, repoRoot, fix)
}

// Add checks out commit of the repository at repoRoot into a new detached
// worktree and records owner beside it. On error nothing is left behind.
func Add(repoRoot, commit string, owner Owner) (*Checkout, error) {
	base, err := baseDir(repoRoot)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, fmt.Errorf("making the checkout folder: %w", err)
	}
	dir, err := os.MkdirTemp(base, "co-")
	if err != nil {
		return nil, fmt.Errorf("making a checkout of %.12s: %w", commit, err)
	}
	owner.Commit = commit
	if owner.Since.IsZero() {
		owner.Since = time.Now().UTC()
	}
	b, _ := json.Marshal(owner)
	if err := os.WriteFile(dir+".owner", b, 0o644); err != nil {
		_ = os.Remove(dir)
		return nil, fmt.Errorf("recording the owner of the checkout of %.12s: %w", commit, err)
	}
	// git worktree add wants a missing or empty directory: dir is empty.
	// It reads every worktree's bookkeeping, which another process may be
	// writing at that moment: worktree commands are serialized by a lock.
	unlock, err := lock(base)
	if err != nil {
		_ = os.Remove(dir)
		_ = os.Remove(dir + ".owner")
		return nil, err
	}
	_, err = git(repoRoot, "worktree", "add", "--detach", "--quiet", dir, commit)
	unlock()
	if err != nil {
		c := &Checkout{Root: dir, Commit: commit, repo: repoRoot}
		_ = c.Remove()
		return nil, fmt.Errorf("checking out commit %.12s into %s: %w", commit, dir, err)
	}
	return &Checkout{Root: dir, Commit: commit, repo: repoRoot}, nil
}

// Dir returns the directory of component (a slash-separated path relative
// to the repository root, "" or "." for the root) inside the checkout.
func (c *Checkout) Dir(component string) string {
	return filepath.Join(c.Root, filepath.FromSlash(component))
}

// Remove deletes the worktree, its git bookkeeping and its owner file. It
// is idempotent.
func (c *Checkout) Remove() error {
	return remove(c.repo, c.Root)
}

func remove(repoRoot, dir string) error {
	var werr error
	if unlock, err := lock(filepath.Dir(dir)); err == nil {
		_, werr = git(repoRoot, "worktree", "remove", "--force", dir)
		defer unlock()
	} else {
		werr = err
	}
	rerr := os.RemoveAll(dir)
	_ = os.Remove(dir + ".owner")
	if werr != nil {
		// The directory is gone either way: forget its bookkeeping.
		_, werr = git(repoRoot, "worktree", "prune")
	}
	return errors.Join(werr, rerr)
}

// Sweep removes the checkouts of repoRoot made on host by processes that
// are gone (with all, also those of live processes), and checkouts whose
// owner file is missing or unreadable and that are older than an hour. It
// returns how many it removed.
func Sweep(repoRoot, host string, all bool) (int, error) {
	base, err := baseDir(repoRoot)
	if err != nil {
		return 0, err
	}
	entries, err := os.ReadDir(base)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("listing leftover checkouts: %w", err)
	}
	n := 0
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(base, e.Name())
		if !all && !leftover(dir, host) {
			continue
		}
		if err := remove(repoRoot, dir); err != nil {
			errs = append(errs, fmt.Errorf("removing leftover checkout %s: %w", dir, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// leftover reports whether the checkout at dir belongs to no live process
// of host.
func leftover(dir, host string) bool {
	b, err := os.ReadFile(dir + ".owner")
	var o Owner
	if err != nil || json.Unmarshal(b, &o) != nil {
		info, serr := os.Stat(dir)
		return serr == nil && time.Since(info.ModTime()) > time.Hour
	}
	return o.Host == host && !proc.Alive(o.PID)
}

// baseDir returns GIT_COMMON_DIR/pipeline-checkouts of repoRoot.
func baseDir(repoRoot string) (string, error) {
	out, err := git(repoRoot, "rev-parse", "--git-common-dir")
	if err != nil {
		return "", fmt.Errorf("finding the git directory of %s: %w", repoRoot, err)
	}
	common := strings.TrimSpace(out)
	if !filepath.IsAbs(common) {
		common = filepath.Join(repoRoot, common)
	}
	return filepath.Join(common, dirName), nil
}

// git runs git -C root with a clean environment (no GIT_DIR and the like
// from a calling hook) and returns its standard output; a failure carries
// git's standard error.
func git(root string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"-C", root}, args...)...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// lock takes the exclusive lock of the checkout folder base (a flock on
// base/.lock) and returns what releases it. A process that dies releases
// it with its file descriptors.
func lock(base string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(base, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking the checkout folder %s: %w", base, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the checkout folder %s: %w", base, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
