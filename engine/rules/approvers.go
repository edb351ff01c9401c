// Package rules holds the engine's protection rules as pure functions: who
// may approve a gate, whether a release may be promoted to an environment,
// and how the rules of a change differ from the rules at the trusted ref.
// It does no I/O; callers pass history and group members in.
package rules

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

var (
	// ErrNotApprover reports an identity that the gate's approvers do not list.
	ErrNotApprover = errors.New("not an approver of this gate")
	// ErrSelfApproval reports the release's author approving their own
	// release on a gate with prevent_self_approval.
	ErrSelfApproval = errors.New("self-approval is not allowed on this gate")
	// ErrNoIdentity reports an approval without an identity.
	ErrNoIdentity = errors.New("no approver identity")
	// ErrBranchNotAllowed reports a release built from a branch the
	// environment does not accept.
	ErrBranchNotAllowed = errors.New("branch not allowed")
	// ErrRequiresNotMet reports a release that has not yet succeeded in an
	// environment the target environment requires.
	ErrRequiresNotMet = errors.New("promotion requirement not met")
)

// Gate is the part of a gate the approver rules need.
type Gate struct {
	Environment         string
	Name                string
	Approvers           []string
	PreventSelfApproval bool
	// Signed requires approvals signed by a key of an approver group's
	// allowed_signers (engine/signoff).
	Signed bool `json:",omitempty"`
}

// GroupMembers returns the members of a group, or an error when the group
// is not known.
type GroupMembers func(group string) ([]string, error)

// CheckApprover decides whether who may approve (or reject) gate g for a
// release whose commit author is author. An approver entry matches when it
// equals who (case-insensitively, as e-mail addresses compare), when it is
// "author" and who is the author, or when it is "group:NAME" and who is a
// member of NAME. A group that cannot be resolved matches nobody; its error
// is reported only when nothing else matched. With PreventSelfApproval the
// author is refused even when listed. A gate without approvers accepts anyone
// but the author under PreventSelfApproval.
func CheckApprover(g Gate, who, author string, groups GroupMembers) error {
	if strings.TrimSpace(who) == "" {
		return fmt.Errorf("%w: pass --as NAME, set PIPELINE_USER, or set `git config user.email`", ErrNoIdentity)
	}
	self := author != "" && sameIdentity(who, author)
	if g.PreventSelfApproval && self {
		return fmt.Errorf("%w: %s is the author of the release's commit and gate %s of environment %s sets prevent_self_approval; ask another approver (%s)",
			ErrSelfApproval, who, g.Name, g.Environment, strings.Join(g.Approvers, ", "))
	}
	if len(g.Approvers) == 0 {
		return nil
	}
	var groupErrs []error
	for _, a := range g.Approvers {
		switch {
		case a == "author":
			if self {
				return nil
			}
		case strings.HasPrefix(a, "group:"):
			members, err := groups(strings.TrimPrefix(a, "group:"))
			if err != nil {
				groupErrs = append(groupErrs, err)
				continue
			}
			for _, m := range members {
				if sameIdentity(m, who) {
					return nil
				}
			}
		case sameIdentity(a, who):
			return nil
		}
	}
	err := fmt.Errorf("%w: %s may not approve gate %s of environment %s; its approvers are %s",
		ErrNotApprover, who, g.Name, g.Environment, strings.Join(g.Approvers, ", "))
	if len(groupErrs) > 0 {
		return fmt.Errorf("%w (%w)", err, errors.Join(groupErrs...))
	}
	return err
}

func sameIdentity(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// Env is an environment's protection rules.
type Env struct {
	Name     string
	Requires []string
	// Branches lists branch patterns (path.Match syntax: "main",
	// "release/*"); empty means every branch.
	Branches []string
	Gates    []Gate
}

// CheckBranch returns an error wrapping ErrBranchNotAllowed unless branch
// matches one of e.Branches (or e.Branches is empty).
func CheckBranch(e Env, branch string) error {
	if len(e.Branches) == 0 {
		return nil
	}
	for _, p := range e.Branches {
		if ok, err := path.Match(p, branch); err == nil && ok {
			return nil
		}
	}
	shown := branch
	if shown == "" {
		shown = "(no branch: detached HEAD)"
	}
	return fmt.Errorf("%w: environment %s accepts releases built from %s, but this release was built from %s",
		ErrBranchNotAllowed, e.Name, strings.Join(e.Branches, ", "), shown)
}

// CheckRequires returns an error wrapping ErrRequiresNotMet that names every
// environment of e.Requires the release has not been deployed to
// successfully; succeeded reports whether it has.
func CheckRequires(e Env, version string, succeeded func(env string) bool) error {
	var missing []string
	for _, r := range e.Requires {
		if !succeeded(r) {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("%w: release %s must first deploy successfully to %s before it may deploy to %s",
		ErrRequiresNotMet, version, strings.Join(missing, ", "), e.Name)
}
