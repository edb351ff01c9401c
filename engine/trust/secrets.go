package trust

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pipeline-cd/pipeline/dsl"
)

// ErrSecretOutOfScope reports a step that lists a secret the trusted
// config does not give to its stage.
var ErrSecretOutOfScope = errors.New("secret outside its trusted scope")

// CheckSecrets refuses the steps of head that would receive a secret the
// trusted config keeps from them. A secret that the trusted config scopes
// to environments (secret "x" { environments = [...] }) reaches only the
// steps of those environments, whatever head says: head may drop or
// widen the scope, rename the secret, or declare another secret reading
// the same environment variable, and every such step outside the trusted
// scope is refused. Head's own scopes are checked by dsl when it loads.
//
// When the trusted ref cannot be determined at all, every build, test and
// package step that lists a secret is refused: no scope can be read.
//
// It returns nil when no step is refused, else one error matching
// ErrSecretOutOfScope that names every refused step, its secret and the
// trusted scope. Without a trusted config (outside git, or the trusted
// ref has none) only head's own scopes apply.
func (r *Result) CheckSecrets(head *dsl.Config) error {
	if head == nil || !r.InGit() {
		return nil
	}
	var problems []string
	for _, st := range head.Stages {
		for _, step := range st.Steps {
			for _, name := range step.Secrets {
				problems = append(problems, r.checkSecret(st, step, name, head.Secrets[name])...)
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &scopeError{problems}
}

// checkSecret decides whether step of st may receive head's secret name
// (hs, nil when undeclared). The trusted config in the change's directory
// decides first: its secret of the same name, and each of its secrets
// reading the same environment variable, must allow st when scoped. When
// it does not read that variable at all, a secret of another pipeline at
// the trusted ref scoped to its environments keeps it from every step of
// this one.
func (r *Result) checkSecret(st *dsl.Stage, step *dsl.Step, name string, hs *dsl.Secret) []string {
	if r.Ref == "" && r.Refused != nil && st.Kind != dsl.KindEnvironment {
		// No trusted ref: the scopes that bind this secret cannot be read.
		// (Environment steps are refused with the environments.)
		return []string{fmt.Sprintf("step %s.%s lists secret %s, but the trusted ref cannot be determined, so the scope the reviewed "+
			"config gives that secret cannot be checked; pass --trusted-ref REF (in a CI checkout fetch it first, "+
			"for example `git fetch origin main` and --trusted-ref origin/main)", st.Address(), step.Name, name)}
	}
	var problems []string
	ownReads := false
	for _, tname := range sortedNames(r.secrets) {
		ts := r.secrets[tname]
		sameVar := hs != nil && hs.Env != "" && hs.Env == ts.Env
		ownReads = ownReads || sameVar
		if !ts.EnvironmentsSet || (tname != name && !sameVar) || ts.Allows(st.Kind, st.Name) {
			continue
		}
		via := ""
		if ts.Name != name {
			via = fmt.Sprintf(", which reads %s, the variable of secret %s", hs.Env, ts.Name)
		}
		problems = append(problems, fmt.Sprintf("step %s.%s lists secret %s%s, but the trusted ref %s gives secret %s only to the steps of %s; "+
			"a change cannot widen a secret's scope: remove the secret from the step, or widen the scope at %s first",
			st.Address(), step.Name, name, via, r.Ref, ts.Name, dsl.ScopeText(ts.Environments), r.Ref))
	}
	if ownReads || hs == nil || hs.Env == "" {
		return problems
	}
	for _, f := range r.foreignScoped(hs.Env) {
		problems = append(problems, fmt.Sprintf("step %s.%s lists secret %s, which reads %s, the variable of secret %s that pipeline %s (%s) "+
			"at the trusted ref %s gives only to the steps of its %s; declare the secret in this pipeline's config at %s first",
			st.Address(), step.Name, name, hs.Env, f.secret.Name, f.pipeline, f.where, r.Ref, dsl.ScopeText(f.secret.Environments), r.Ref))
	}
	return problems
}

// scopeError lists the steps CheckSecrets refuses, one per line.
type scopeError struct{ problems []string }

func (e *scopeError) Error() string {
	return ErrSecretOutOfScope.Error() + ": " + strings.Join(e.problems, "\n")
}

// Is makes a scopeError match ErrSecretOutOfScope.
func (e *scopeError) Is(target error) bool { return target == ErrSecretOutOfScope }

// Scoped reports whether environment variable name is read by a secret
// that a trusted config scopes to environments: this pipeline's config at
// the trusted ref when one of its secrets reads name, else another
// pipeline's there. A change must not read such a
// variable with env(), which no scope can follow. The other pipelines'
// configs that mention name are loaded only when this one's does not
// decide, once per name. Safe for concurrent use.
func (r *Result) Scoped(name string) bool {
	own, scoped := false, false
	for _, s := range r.secrets {
		if s.Env == name {
			own, scoped = true, scoped || s.EnvironmentsSet
		}
	}
	if own || !r.InGit() {
		return scoped
	}
	return len(r.foreignScoped(name)) > 0
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
