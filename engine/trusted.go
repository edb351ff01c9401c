package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/pipeline-cd/pipeline/engine/signoff"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// ErrNoTrustedRules reports a run in a git repository whose protection
// rules cannot be read from the trusted ref: its environments are refused.
var ErrNoTrustedRules = errors.New("no trusted protection rules")

// applyTrusted reads the protection rules from the trusted ref, applies
// them to the config and returns the differences as warnings.
//
// In a git repository it fails closed. When the trusted ref cannot be
// determined (no --trusted-ref and no default branch), or the config at it
// does not load at this directory or does not declare this pipeline, the
// run's environments are refused (see refuseEnvironments) and the returned
// warning says why and how to fix it; build, test and package stages still
// run. It never falls back to the change's own rules.
//
// The trusted config is loaded with its own variable defaults only: the
// run's -var and -var-file options and PIPELINE_VAR_* are hidden from it,
// so they cannot change the trusted rules. When a protection rule depends
// on a variable without a default, the environments are refused too.
// Outside git the
// working tree's config is the only config and its rules apply.
func (s *session) applyTrusted() ([]string, error) {
	head := rules.FromConfig(s.cfg)
	s.trusted = head
	s.rec.Groups = groupsOf(s.cfg, nil)
	s.rec.Signers = signoff.SignersOf(s.cfg)
	root := s.res.RepoRoot
	if root == "" {
		s.notifyCfg = s.cfg
		s.e.logger.Debug("not in a git repository: the working tree's config is the only config, so its protection rules apply",
			"dir", s.res.AbsDir)
		return nil, nil
	}
	ref := s.rec.TrustedRef
	if ref == "" {
		def, err := gitsrc.DefaultBranch(root)
		if err != nil {
			return s.refuseEnvironments(fmt.Errorf("%w: the trusted ref cannot be determined (%w); pass the branch that holds "+
				"the reviewed config with --trusted-ref REF (in a CI checkout fetch it first, for example "+
				"`git fetch origin main` and --trusted-ref origin/main)", ErrNoTrustedRules, err))
		}
		ref = def
	}
	s.rec.TrustedRef = ref
	name := s.cfg.Pipeline.Name
	// The trusted rules are evaluated with the trusted config's own
	// defaults: -var, -var-file and PIPELINE_VAR_* belong to the run and
	// must not change them.
	tres, diags := loader.Load(loader.Request{Dir: s.res.AbsDir, Ref: ref, Getenv: withoutVarEnv(s.e.opts.Getenv)})
	if tres != nil && tres.Config != nil {
		if vars := runtimeProtectionVars(tres); len(vars) > 0 {
			return s.refuseEnvironments(fmt.Errorf("%w: at the trusted ref %s the protection rules (branches, requires, gates, groups) of pipeline %s "+
				"depend on %s, which %s no default; protection rules must not depend on run-time variables (-var, -var-file, %s*), "+
				"so they are evaluated with the trusted config's defaults only: give %s a default at %s, or write the rules as literals",
				ErrNoTrustedRules, ref, name, varList(vars), hasHave(vars), dsl.EnvVarPrefix, varList(vars), ref))
		}
		diags = withoutMissingVars(diags, tres.Config)
	}
	if diags.HasErrors() || tres == nil || tres.Config == nil {
		return s.refuseEnvironments(fmt.Errorf("%w: the config of pipeline %s at the trusted ref %s does not load in %s (%s); "+
			"merge the config change into %s first (a change that moves or renames the config is deployed once it is merged), "+
			"or pass --trusted-ref REF naming a reviewed ref that has it", ErrNoTrustedRules, name, ref, s.component(), firstSummary(diags), ref))
	}
	if tres.Config.Pipeline == nil || tres.Config.Pipeline.Name != name {
		other := "no pipeline"
		if tres.Config.Pipeline != nil {
			other = fmt.Sprintf("pipeline %s", tres.Config.Pipeline.Name)
		}
		return s.refuseEnvironments(fmt.Errorf("%w: the config in %s at the trusted ref %s declares %s, not pipeline %s; "+
			"merge the config change into %s first, or pass --trusted-ref REF naming a reviewed ref that declares it",
			ErrNoTrustedRules, s.component(), ref, other, name, ref))
	}
	var warnings []string
	for _, d := range rules.Compare(rules.FromConfig(tres.Config), head) {
		if d.What == "environment" && d.Head == "(none)" {
			continue
		}
		warnings = append(warnings, d.String())
	}
	rules.Apply(s.cfg, tres.Config)
	s.notifyCfg = tres.Config
	s.trusted = rules.FromConfig(s.cfg)
	for name, env := range rules.FromConfig(tres.Config) {
		s.trusted[name] = env // keep the full trusted requires for history checks
	}
	s.rec.Groups = groupsOf(tres.Config, s.cfg)
	s.rec.Signers = signoff.SignersOf(tres.Config)
	return warnings, nil
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

// requiredVars returns the variables of cfg without a default: loaded
// without run-time values, they have no value.
func requiredVars(cfg *dsl.Config) map[string]*dsl.Variable {
	out := map[string]*dsl.Variable{}
	for name, v := range cfg.Variables {
		if !v.HasDefault {
			out[name] = v
		}
	}
	return out
}

// runtimeProtectionVars returns, sorted, the variables without a default
// that the protection rules of the loaded trusted config refer to, directly
// or through locals: the branches and requires of environments, every
// attribute of their gates, and the group blocks gates name.
func runtimeProtectionVars(res *loader.Result) []string {
	cfg := res.Config
	required := requiredVars(cfg)
	if len(required) == 0 || res.Parser == nil {
		return nil
	}
	var exprs []hcl.Expression
	for _, f := range res.Parser.Files() {
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			switch b.Type {
			case string(dsl.KindEnvironment):
				for _, a := range b.Body.Attributes {
					if a.Name == "branches" || a.Name == "requires" {
						exprs = append(exprs, a.Expr)
					}
				}
				for _, gb := range b.Body.Blocks {
					if gb.Type == "gate" {
						for _, a := range gb.Body.Attributes {
							exprs = append(exprs, a.Expr)
						}
					}
				}
			case "group":
				for _, a := range b.Body.Attributes {
					exprs = append(exprs, a.Expr)
				}
			}
		}
	}
	found := map[string]bool{}
	seenLocals := map[string]bool{}
	for len(exprs) > 0 {
		expr := exprs[len(exprs)-1]
		exprs = exprs[:len(exprs)-1]
		for _, tr := range expr.Variables() {
			if len(tr) < 2 {
				continue
			}
			attr, ok := tr[1].(hcl.TraverseAttr)
			if !ok {
				continue
			}
			switch tr.RootName() {
			case "var":
				if required[attr.Name] != nil {
					found[attr.Name] = true
				}
			case "local":
				if l := cfg.Locals[attr.Name]; l != nil && !seenLocals[attr.Name] && l.Expr != nil {
					seenLocals[attr.Name] = true
					exprs = append(exprs, l.Expr)
				}
			}
		}
	}
	out := make([]string, 0, len(found))
	for name := range found {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// withoutMissingVars drops the errors about variables of cfg that have no
// default ("Missing Required Variable", whose subject is the variable
// block): they are expected when the trusted config is loaded without
// run-time values, and runtimeProtectionVars has checked that no
// protection rule depends on them.
func withoutMissingVars(diags hcl.Diagnostics, cfg *dsl.Config) hcl.Diagnostics {
	required := requiredVars(cfg)
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil && declaresRequired(*d.Subject, required) {
			continue
		}
		out = append(out, d)
	}
	return out
}

func declaresRequired(rng hcl.Range, required map[string]*dsl.Variable) bool {
	for _, v := range required {
		if v.DeclRange == rng {
			return true
		}
	}
	return false
}

// varList renders variable names for messages: "var.a and var.b".
func varList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "var." + n
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

func hasHave(names []string) string {
	if len(names) == 1 {
		return "has"
	}
	return "have"
}

// component names the config directory for messages: "the repository
// root" or "directory DIR".
func (s *session) component() string {
	if s.res.Component == "" || s.res.Component == "." {
		return "the repository root"
	}
	return "directory " + s.res.Component
}

// refuseEnvironments records why the run has no trusted rules and returns
// the warning that says so. Every deploy node of the run then fails with
// that reason (see checkTrusted) before it records or deploys anything.
func (s *session) refuseEnvironments(why error) ([]string, error) {
	s.untrusted = why
	s.e.logger.Debug("environments refused", "error", why)
	return []string{fmt.Sprintf("environments are refused in this run: %v", why)}, nil
}

// checkTrusted refuses the deploy node of environment env when the run
// has no trusted rules. A rollback is not refused: it applies no gates,
// branches or requires, and returns only to a release whose deployment to
// the environment succeeded before.
func (s *session) checkTrusted(env string) error {
	if s.untrusted == nil || s.deployKind == state.DeployKindRollback {
		return nil
	}
	return fmt.Errorf("environment %s is refused: %w", env, s.untrusted)
}

// admit decides, from the rules alone, whether deploy node n may go on: it
// refuses an environment when the run builds from a modified working tree
// (s.dirty), when the run has no trusted rules (checkTrusted), or when the
// trusted branches or requires of the environment refuse the run's release
// (a rollback applies neither). succeeded reports whether the release has
// already been deployed to an environment it requires.
//
// admit is the one place these rules are applied: a run, a resume, a
// deploy, a dry run and plan all call it (the dry run and plan with
// succeeded answering from their own walk), so a rule added here applies
// to all of them, and what the dry run and plan say is what the run does.
// It reads no state and changes nothing.
func (s *session) admit(n *plan.Node, succeeded func(env string) bool) error {
	env := n.Env.Name
	if s.dirty != nil {
		return fmt.Errorf("environment %s is refused: %w", env, s.dirty)
	}
	if err := s.checkTrusted(env); err != nil {
		return err
	}
	if s.deployKind == state.DeployKindRollback {
		return nil
	}
	te, ok := s.trusted[env]
	if !ok {
		te = rules.Env{Name: env, Requires: n.Env.Requires, Branches: n.Env.Branches}
	}
	if err := rules.CheckBranch(te, s.run.Branch); err != nil {
		return err
	}
	return rules.CheckRequires(te, s.rec.Version, succeeded)
}

// deployNode runs an environment's deploy node: admit, then the check
// that its release is not outdated there (see checkOutdated), then
// startEnvironment.
func (s *session) deployNode(ctx context.Context, n *plan.Node) error {
	if err := s.admit(n, func(req string) bool { return s.succeededIn(ctx, req) }); err != nil {
		return err
	}
	if err := s.checkOutdated(ctx, n.Env.Name); err != nil {
		return err
	}
	return s.startEnvironment(ctx, n)
}

// redoRefusedDeploys takes the deploy nodes out of done when the run has
// no trusted rules, so that a resumed run refuses its environments again
// instead of reusing a deploy node that passed under other rules.
func (s *session) redoRefusedDeploys(done map[string]bool) {
	if s.untrusted == nil || s.deployKind == state.DeployKindRollback {
		return
	}
	for _, n := range s.plan.Nodes {
		if n.Kind == plan.KindDeploy {
			delete(done, n.ID)
		}
	}
}
