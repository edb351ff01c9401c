package gitsrc

import (
	"fmt"
	"os"
	"strings"
)

// A CI system checks out a detached HEAD and names the branch in a
// variable. Such a name is a claim: it counts for `branches` rules and the
// release's recorded branch only when the commit is on that branch in this
// repository (see proveBranch).

// prHeadVars name the head branch of a pull or merge request: a name the
// request's author chooses (a fork's "main" is not this repository's), so
// it never counts as a protected branch.
var prHeadVars = []string{"GITHUB_HEAD_REF", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"}

// refNameVars name the branch a CI job builds, in order of preference:
// GitHub Actions, GitLab (CI_COMMIT_BRANCH is set for branch pipelines
// only), Jenkins and Buildkite.
var refNameVars = []string{"GITHUB_REF_NAME", "CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME", "BRANCH_NAME", "BUILDKITE_BRANCH"}

// ciBranchVars are every variable detachedBranch reads, for tests.
var ciBranchVars = append(append([]string{}, prHeadVars...), refNameVars...)

// detachedBranch returns the branch a CI variable names for the detached
// HEAD at sha, and why it does not count ("" when it does): see
// dsl.GitInfo.BranchUnproven. getenv reads the variables.
func detachedBranch(root, sha string, getenv func(string) string) (branch, unproven string, err error) {
	for _, name := range prHeadVars {
		if v := getenv(name); v != "" {
			return v, fmt.Sprintf("%s=%s names the head branch of a pull or merge request, which never counts as a protected branch "+
				"(its author chose the name); build the target branch itself to deploy", name, v), nil
		}
	}
	for _, name := range refNameVars {
		v := getenv(name)
		if v == "" {
			continue
		}
		on, refs, err := onBranch(root, sha, v)
		if err != nil {
			return "", "", err
		}
		if on {
			return v, "", nil
		}
		if len(refs) == 0 {
			return v, fmt.Sprintf("%s=%s names branch %s, but this repository has no refs/heads/%s or refs/remotes/*/%s to prove that "+
				"commit %.12s is on it; fetch the branch (for example `git fetch origin %s`)", name, v, v, v, v, sha, v), nil
		}
		return v, fmt.Sprintf("%s=%s names branch %s, but commit %.12s is not on %s in this repository",
			name, v, v, sha, strings.Join(refs, " or ")), nil
	}
	return "", "HEAD is detached and no CI variable (" + strings.Join(refNameVars, ", ") + ") names its branch; " +
		"check the branch out, or set the variable your CI system provides", nil
}

// onBranch reports whether commit sha is reachable from refs/heads/NAME or
// any refs/remotes/REMOTE/NAME, and lists the refs it looked at.
func onBranch(root, sha, name string) (bool, []string, error) {
	out, err := git(root, nil, "for-each-ref", "--format=%(refname)", "refs/heads/", "refs/remotes/")
	if err != nil {
		return false, nil, fmt.Errorf("listing branches: %w", err)
	}
	var refs []string
	for _, ref := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if ref == "refs/heads/"+name {
			refs = append(refs, ref)
			continue
		}
		if rest, ok := strings.CutPrefix(ref, "refs/remotes/"); ok {
			if _, b, ok := strings.Cut(rest, "/"); ok && b == name {
				refs = append(refs, ref)
			}
		}
	}
	for _, ref := range refs {
		_, err := git(root, nil, "merge-base", "--is-ancestor", sha, ref)
		switch exitCode(err) {
		case -1:
			if err == nil {
				return true, refs, nil
			}
			return false, refs, fmt.Errorf("checking whether %.12s is on %s: %w", sha, ref, err)
		case 1:
			continue
		default:
			return false, refs, fmt.Errorf("checking whether %.12s is on %s: %w", sha, ref, err)
		}
	}
	return false, refs, nil
}

func osGetenv(name string) string { return os.Getenv(name) }
