// Package trust reads a pipeline's protection rules from the trusted ref
// (--trusted-ref, default: the repository's default branch) and decides
// what the change being run may do under them. The config of the change is
// untrusted: a branch cannot delete its own gate, widen its branches, add
// an environment that deploys without rules, or hand a secret to a step
// the trusted config does not give it.
//
// The package is pure apart from reading git: it loads configs and
// returns decisions; the engine applies them to a run, a dry run or a
// plan alike.
package trust

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine/rules"
)

// ErrNoTrustedRules reports a run in a git repository whose protection
// rules cannot be read from the trusted ref: its environments are refused.
var ErrNoTrustedRules = errors.New("no trusted protection rules")

// Request says whose trusted rules to load.
type Request struct {
	// Head is the change's loaded config (working tree or --ref).
	Head *loader.Result
	// Ref is the trusted ref; "" means the repository's default branch.
	Ref string
	// Getenv reads the operator's environment for env() in the trusted
	// config; nil means os.LookupEnv. PIPELINE_VAR_* is hidden from it.
	Getenv func(string) (string, bool)
}

// Result is what the trusted ref says about the change.
type Result struct {
	// Ref is the trusted ref the rules were read from; "" outside git.
	Ref string
	// Config is the trusted config; nil outside git (the working tree's
	// config is then the only one and its rules apply) or when Refused.
	Config *dsl.Config
	// Refused, when set, wraps ErrNoTrustedRules and says why the trusted
	// rules cannot be read and how to fix it: every environment of the
	// run is refused.
	Refused error
	// NotYet is set when the trusted ref has no pipeline config in the
	// change's directory: a repository adopting pipeline, or a change
	// that moves its config. Config is nil; every environment is Fresh.
	NotYet bool
	// Warnings lists how the change's rules differ from the trusted ones
	// (the trusted value applies).
	Warnings []string

	component string // the config directory, for messages
	// secrets are the secret blocks of the config at the trusted ref in
	// the change's directory, also when Refused (a renamed pipeline, a
	// config with errors: what did load still scopes its secrets).
	secrets map[string]*dsl.Secret
	// root, dir and getenv find and load the other components' configs at
	// Ref (see foreignScoped); others caches them.
	root, dir string
	getenv    func(string) (string, bool)
	othersMu  sync.Mutex
	others    map[string][]foreignSecret // by environment variable
}

// InGit reports whether the change is in a git repository, so that a
// trusted ref applies at all.
func (r *Result) InGit() bool { return r.Ref != "" || r.Refused != nil }

// Load reads the trusted config of req.Head's pipeline.
//
// In a git repository it fails closed. When the trusted ref cannot be
// determined (no Ref and no default branch), or the config at it does not
// load at this directory or does not declare this pipeline, Result.Refused
// says why and how to fix it. It never falls back to the change's own
// rules.
//
// The trusted config is loaded with its own variable defaults only: the
// run's -var and -var-file options and PIPELINE_VAR_* are hidden from it,
// so they cannot change the trusted rules. When a protection rule depends
// on a variable without a default, the environments are refused too.
func Load(req Request) *Result {
	head := req.Head
	root := head.RepoRoot
	if root == "" {
		return &Result{}
	}
	ref := req.Ref
	if ref == "" {
		def, err := gitsrc.DefaultBranch(root)
		if err != nil {
			return &Result{Refused: fmt.Errorf("%w: the trusted ref cannot be determined (%w); pass the branch that holds "+
				"the reviewed config with --trusted-ref REF (in a CI checkout fetch it first, for example "+
				"`git fetch origin main` and --trusted-ref origin/main)", ErrNoTrustedRules, err)}
		}
		ref = def
	}
	out := &Result{Ref: ref, component: component(head), root: root, dir: head.Component, getenv: withoutVarEnv(req.Getenv)}
	name := head.Config.Pipeline.Name
	if configAbsent(head, ref) {
		out.NotYet = true
		return out
	}
	tres, diags := loader.Load(loader.Request{Dir: head.AbsDir, Ref: ref, Getenv: out.getenv})
	if tres != nil && tres.Config != nil {
		out.secrets = tres.Config.Secrets
		if vars := runtimeProtectionVars(tres); len(vars) > 0 {
			out.Refused = fmt.Errorf("%w: at the trusted ref %s the protection rules (branches, requires, gates, groups) of pipeline %s "+
				"depend on %s, which %s no default; protection rules must not depend on run-time variables (-var, -var-file, %s*), "+
				"so they are evaluated with the trusted config's defaults only: give %s a default at %s, or write the rules as literals",
				ErrNoTrustedRules, ref, name, varList(vars), hasHave(vars), dsl.EnvVarPrefix, varList(vars), ref)
			return out
		}
		diags = withoutMissingVars(diags, tres.Config)
	}
	if diags.HasErrors() || tres == nil || tres.Config == nil {
		out.Refused = fmt.Errorf("%w: the config of pipeline %s at the trusted ref %s does not load in %s (%s); "+
			"merge the config change into %s first (a change that moves or renames the config is deployed once it is merged), "+
			"or pass --trusted-ref REF naming a reviewed ref that has it", ErrNoTrustedRules, name, ref, component(head), dsl.FirstError(diags), ref)
		return out
	}
	if tres.Config.Pipeline == nil || tres.Config.Pipeline.Name != name {
		other := "no pipeline"
		if tres.Config.Pipeline != nil {
			other = fmt.Sprintf("pipeline %s", tres.Config.Pipeline.Name)
		}
		out.Refused = fmt.Errorf("%w: the config in %s at the trusted ref %s declares %s, not pipeline %s; "+
			"merge the config change into %s first, or pass --trusted-ref REF naming a reviewed ref that declares it",
			ErrNoTrustedRules, component(head), ref, other, name, ref)
		return out
	}
	out.Config = tres.Config
	for _, d := range rules.Compare(rules.FromConfig(tres.Config), rules.FromConfig(head.Config)) {
		if d.What == "environment" {
			continue // a trusted environment the change drops is not run; see Fresh for new ones
		}
		out.Warnings = append(out.Warnings, d.String())
	}
	return out
}

// withoutVarEnv wraps getenv (nil: os.LookupEnv) so that it finds no
// PIPELINE_VAR_* variable: env() still reads the runner's environment.
func withoutVarEnv(getenv func(string) (string, bool)) func(string) (string, bool) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	return func(k string) (string, bool) {
		if strings.HasPrefix(k, dsl.EnvVarPrefix) {
			return "", false
		}
		return getenv(k)
	}
}

// component names the config directory for messages: "the repository
// root" or "directory DIR".
func component(res *loader.Result) string {
	if res.Component == "" || res.Component == "." {
		return "the repository root"
	}
	return "directory " + res.Component
}
