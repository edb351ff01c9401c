package gitsrc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/pipeline-cd/pipeline/dsl"
)

// RepoRoot returns the top of the git work tree containing dir, or an error
// wrapping ErrNotRepo when dir is not inside one (a bare repository has no
// work tree and counts as not a repository).
func RepoRoot(dir string) (string, error) {
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("finding the git repository of %s: %w", dir, err)
	}
	top, err := gitLine(dir, "rev-parse", "--show-toplevel")
	if err != nil && exitCode(err) < 0 {
		return "", fmt.Errorf("finding the git repository of %s: %w", dir, err)
	}
	if err != nil || top == "" {
		return "", fmt.Errorf("%s: %w (run `git init`, or pass -C with a directory inside a clone)", dir, ErrNotRepo)
	}
	return top, nil
}

// Info returns the git.* values for rev, a commit-ish (usually "HEAD").
//
// Branch is the checked-out branch when rev is "HEAD"; in a detached checkout
// (as CI systems make) it is the branch a CI variable names: a pull or merge
// request's head (GITHUB_HEAD_REF, CI_MERGE_REQUEST_SOURCE_BRANCH_NAME), else
// GITHUB_REF_NAME, CI_COMMIT_BRANCH, CI_COMMIT_REF_NAME, BRANCH_NAME or
// BUILDKITE_BRANCH. Such a name is a claim: BranchUnproven says why it does
// not count for `branches` rules and the release's branch when it is a
// request's head, or the commit is not reachable from refs/heads/NAME or
// refs/remotes/*/NAME. For another rev, Branch is the branch it names (a
// local branch, or a remote-tracking one without its remote), else "". Tag is a tag pointing at the commit (the highest version
// when there are several), else "". Author is the commit author's e-mail.
// CommitCount is `git rev-list --count`, or -1 in a shallow clone, where that
// count would be wrong.
//
// In a repository without commits, Info("HEAD") returns Known values with the
// current branch, CommitCount 0 and the commit fields empty.
func Info(root, rev string) (dsl.GitInfo, error) {
	info := dsl.GitInfo{Known: true, CommitCount: -1}
	sha, err := resolve(root, rev)
	if err != nil {
		if rev == "HEAD" && !hasCommits(root) {
			info.CommitCount = 0
			info.Branch, _ = gitLine(root, "symbolic-ref", "-q", "--short", "HEAD")
			return info, nil
		}
		return dsl.GitInfo{CommitCount: -1}, err
	}
	line, err := gitLine(root, "log", "-1", "--no-show-signature", "--format=%H%x00%h%x00%ae", sha)
	if err != nil {
		return dsl.GitInfo{CommitCount: -1}, fmt.Errorf("reading commit %s: %w", rev, err)
	}
	fields := strings.Split(line, "\x00")
	if len(fields) != 3 {
		return dsl.GitInfo{CommitCount: -1}, fmt.Errorf("reading commit %s: unexpected git log output %q", rev, line)
	}
	info.SHA, info.ShortSHA, info.Author = fields[0], fields[1], fields[2]

	if info.Branch, info.BranchUnproven, err = branchOf(root, rev, info.SHA); err != nil {
		return dsl.GitInfo{CommitCount: -1}, err
	}
	tags, err := git(root, nil, "tag", "--points-at", sha, "--sort=-version:refname")
	if err != nil {
		return dsl.GitInfo{CommitCount: -1}, fmt.Errorf("listing the tags of %s: %w", rev, err)
	}
	info.Tag, _, _ = strings.Cut(string(tags), "\n")

	shallow, err := gitLine(root, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return dsl.GitInfo{CommitCount: -1}, err
	}
	if shallow != "true" {
		count, err := gitLine(root, "rev-list", "--count", sha)
		if err != nil {
			return dsl.GitInfo{CommitCount: -1}, fmt.Errorf("counting the commits of %s: %w", rev, err)
		}
		if info.CommitCount, err = strconv.Atoi(count); err != nil {
			return dsl.GitInfo{CommitCount: -1}, fmt.Errorf("counting the commits of %s: unexpected output %q", rev, count)
		}
	}
	return info, nil
}

// hasCommits reports whether HEAD's repository has any commit at all.
func hasCommits(root string) bool {
	out, err := git(root, nil, "rev-list", "-n", "1", "--all")
	return err == nil && len(bytes.TrimSpace(out)) > 0
}

// branchOf returns the branch rev (at commit sha) names and why it does
// not count, if it does not; see Info.
func branchOf(root, rev, sha string) (branch, unproven string, err error) {
	if rev == "HEAD" {
		branch, err := gitLine(root, "symbolic-ref", "-q", "--short", "HEAD")
		if err == nil {
			return branch, "", nil
		}
		if exitCode(err) != 1 { // 1: HEAD is detached
			return "", "", fmt.Errorf("reading the current branch: %w", err)
		}
		return detachedBranch(root, sha, osGetenv)
	}
	out, err := gitLine(root, "rev-parse", "--symbolic-full-name", rev, "--")
	if err != nil {
		return "", "", nil // ambiguous or not a symbolic name: no branch
	}
	full, _, _ := strings.Cut(out, "\n")
	if b, ok := strings.CutPrefix(full, "refs/heads/"); ok {
		return b, "", nil
	}
	if r, ok := strings.CutPrefix(full, "refs/remotes/"); ok {
		if _, b, ok := strings.Cut(r, "/"); ok && b != "HEAD" {
			return b, "", nil
		}
	}
	return "", "", nil
}

// Describe returns `git describe --tags --always` for rev: the nearest tag
// with the distance and abbreviated hash, or the abbreviated hash alone when
// no tag is reachable.
func Describe(root, rev string) (string, error) {
	sha, err := resolve(root, rev)
	if err != nil {
		return "", err
	}
	out, err := gitLine(root, "describe", "--tags", "--always", sha)
	if err != nil {
		return "", fmt.Errorf("describing %s: %w", rev, err)
	}
	return out, nil
}

// DefaultBranch returns the repository's default branch: the target of
// origin/HEAD when it is set, else init.defaultBranch, else "main", else
// "master", the first of them that exists. The result always resolves as a
// ref: when only the remote-tracking branch exists (a CI checkout), it is
// returned as "origin/NAME". It never falls back to the current branch,
// which would make a branch its own reference: when none of those exists it
// returns an error wrapping ErrNoDefaultBranch.
func DefaultBranch(root string) (string, error) {
	out, err := git(root, nil, "for-each-ref", "--format=%(refname)", "refs/heads/", "refs/remotes/origin/")
	if err != nil {
		return "", fmt.Errorf("listing branches: %w", err)
	}
	refs := map[string]bool{}
	for _, r := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		refs[r] = true
	}
	usable := func(b string) string {
		switch {
		case b == "":
			return ""
		case refs["refs/heads/"+b]:
			return b
		case refs["refs/remotes/origin/"+b]:
			return "origin/" + b
		}
		return ""
	}
	if target, err := gitLine(root, "symbolic-ref", "-q", "refs/remotes/origin/HEAD"); err == nil {
		if b := usable(strings.TrimPrefix(target, "refs/remotes/origin/")); b != "" {
			return b, nil
		}
	}
	configured, _ := gitLine(root, "config", "init.defaultBranch")
	for _, b := range []string{configured, "main", "master"} {
		if u := usable(b); u != "" {
			return u, nil
		}
	}
	return "", fmt.Errorf("%w: origin/HEAD is not set, and no branch named by init.defaultBranch, main or master exists "+
		"(locally or as origin/NAME)", ErrNoDefaultBranch)
}

// Commit is one commit of a history listing.
type Commit struct {
	SHA     string // full hash
	Author  string // author e-mail
	Subject string // first line of the message
}

// Commits returns the commits reachable from to but not from from, newest
// first; from "" means every commit reachable from to. When limit > 0, at
// most limit commits are returned. Either ref unknown gives an error wrapping
// ErrUnknownRef.
//
// With paths (pathspecs relative to root), only the commits that change a
// file below one of them are listed, like `git log -- PATHS`.
func Commits(root, from, to string, limit int, paths ...string) ([]Commit, error) {
	toSHA, err := resolve(root, to)
	if err != nil {
		return nil, err
	}
	args := []string{"log", "-z", "--no-show-signature", "--format=%H%x00%ae%x00%s"}
	if limit > 0 {
		args = append(args, "-n", strconv.Itoa(limit))
	}
	args = append(args, toSHA)
	if from != "" {
		fromSHA, err := resolve(root, from)
		if err != nil {
			return nil, err
		}
		args = append(args, "^"+fromSHA)
	}
	if len(paths) > 0 {
		args = append(args, "--")
		for _, p := range paths {
			args = append(args, ":(top,literal)"+p)
		}
	}
	out, err := git(root, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("listing commits %s..%s: %w", from, to, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(fields)%3 != 0 {
		return nil, fmt.Errorf("listing commits %s..%s: unexpected git log output", from, to)
	}
	commits := make([]Commit, 0, len(fields)/3)
	for i := 0; i < len(fields); i += 3 {
		commits = append(commits, Commit{SHA: strings.TrimPrefix(fields[i], "\n"), Author: fields[i+1], Subject: fields[i+2]})
	}
	return commits, nil
}

// Ancestor reports whether commit a is an ancestor of commit b (a commit is
// its own ancestor). Either ref unknown gives an error wrapping ErrUnknownRef.
func Ancestor(root, a, b string) (bool, error) {
	aSHA, err := resolve(root, a)
	if err != nil {
		return false, err
	}
	bSHA, err := resolve(root, b)
	if err != nil {
		return false, err
	}
	_, err = git(root, nil, "merge-base", "--is-ancestor", aSHA, bSHA)
	switch exitCode(err) {
	case -1:
		if err != nil {
			return false, fmt.Errorf("checking whether %s is an ancestor of %s: %w", a, b, err)
		}
		return true, nil
	case 1:
		return false, nil
	}
	return false, fmt.Errorf("checking whether %s is an ancestor of %s: %w", a, b, err)
}

// UserEmail returns `git config user.email` as seen from root, or "" when it
// is not set or git cannot tell.
func UserEmail(root string) string {
	email, err := gitLine(root, "config", "user.email")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(email)
}

// Dirty reports whether the work tree at root has modified tracked files:
// changes to tracked files, staged or not (edits, deletions, renames, newly
// added files), as `git status --porcelain --untracked-files=no` lists
// them. Untracked and ignored files do not count, so build outputs that are
// not committed leave the tree clean. A root that is not inside a git work
// tree is an error.
func Dirty(root string) (bool, error) {
	out, err := git(root, nil, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return false, fmt.Errorf("checking the working tree of %s for modified tracked files: %w", root, err)
	}
	return len(bytes.TrimSpace(out)) > 0, nil
}
