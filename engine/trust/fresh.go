package trust

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
	"github.com/pipeline-cd/pipeline/dsl/loader"
)

// ErrNotOnTrustedRef reports an environment that the config at the
// trusted ref does not define: it has no trusted gates or rules, so it is
// not deployed. A run that asks for it by name is refused.
var ErrNotOnTrustedRef = errors.New("environment not on the trusted ref yet")

// Fresh returns, in declaration order, the environments of head that the
// trusted ref does not define: every environment when the trusted ref has
// no pipeline config in the change's directory yet (a repository adopting
// pipeline, or a change that moves the config), otherwise those the
// trusted config lacks (a branch adding `environment "prod2"`). They are
// not deployed: their gates and rules would come from the change itself.
// Outside git, and when Refused is set (every environment is refused
// anyway), Fresh returns nil.
func (r *Result) Fresh(head *dsl.Config) []string {
	if head == nil || r.Refused != nil || (r.Config == nil && !r.NotYet) {
		return nil
	}
	var out []string
	for _, s := range head.Environments() {
		if r.NotYet || r.Config.Stage(dsl.KindEnvironment, s.Name) == nil {
			out = append(out, s.Name)
		}
	}
	return out
}

// FreshError explains why environment env (one of Fresh) has no trusted
// rules and what to do; it matches ErrNotOnTrustedRef (errors.Is). The
// caller says what it does about it (see the engine's leaveOutFresh).
func (r *Result) FreshError(env string) error {
	if r.NotYet {
		return &freshError{fmt.Sprintf("environment %s is not on the trusted ref %s yet (%s has no pipeline config there), so it has no "+
			"reviewed gates or rules; to deploy it, merge the config to %s, or pass --trusted-ref REF naming a reviewed ref that has it",
			env, r.Ref, r.component, r.Ref)}
	}
	return &freshError{fmt.Sprintf("environment %s is not on the trusted ref %s yet (the config there does not define it), so its gates "+
		"and rules would come from this change; to deploy it, merge it to %s first, or pass --trusted-ref REF naming a reviewed ref that has it",
		env, r.Ref, r.Ref)}
}

type freshError struct{ msg string }

func (e *freshError) Error() string { return e.msg }

// Is makes a freshError match ErrNotOnTrustedRef.
func (e *freshError) Is(target error) bool { return target == ErrNotOnTrustedRef }

// Asked reports whether the operator asked for environment env by name:
// in --only or --until (its name or its address environment.NAME), or as
// the target of deploy (target). A kind ("environment") asks for none by
// name.
func Asked(env string, only []string, until, target string) bool {
	names := []string{env, string(dsl.KindEnvironment) + "." + env}
	if target == env || slices.Contains(names, until) {
		return true
	}
	for _, o := range only {
		if slices.Contains(names, o) {
			return true
		}
	}
	return false
}

// Without returns a shallow copy of cfg without the environments named,
// and without them in the requires of the others; cfg is not changed.
func Without(cfg *dsl.Config, envs []string) *dsl.Config {
	if len(envs) == 0 {
		return cfg
	}
	out := *cfg
	out.Stages = nil
	for _, s := range cfg.Stages {
		if s.Kind == dsl.KindEnvironment && slices.Contains(envs, s.Name) {
			continue
		}
		if s.Kind == dsl.KindEnvironment && slices.ContainsFunc(s.Requires, func(r string) bool { return slices.Contains(envs, r) }) {
			st := *s
			st.Requires = slices.DeleteFunc(slices.Clone(s.Requires), func(r string) bool { return slices.Contains(envs, r) })
			s = &st
		}
		out.Stages = append(out.Stages, s)
	}
	return &out
}

// configAbsent reports whether the trusted ref has no pipeline config
// files in head's directory (the directory is missing there or holds no
// pipeline.hcl or *.pipeline.hcl file). An unknown ref is not absence.
func configAbsent(head *loader.Result, ref string) bool {
	fsys, _, err := gitsrc.RefFS(head.RepoRoot, ref, head.Component)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && dsl.IsConfigFile(e.Name()) {
			return false
		}
	}
	return true
}
