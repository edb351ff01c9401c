package engine

import (
	"context"
	"errors"
	"fmt"

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
// run. It never falls back to the change's own rules. Outside git the
// working tree's config is the only config and its rules apply.
func (s *session) applyTrusted() ([]string, error) {
	head := rules.FromConfig(s.cfg)
	s.trusted = head
	s.rec.Groups = groupsOf(s.cfg, nil)
	root := s.res.RepoRoot
	if root == "" {
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
	tres, diags := loader.Load(loader.Request{Dir: s.res.AbsDir, Ref: ref, Vars: s.rec.Vars})
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
	s.trusted = rules.FromConfig(s.cfg)
	for name, env := range rules.FromConfig(tres.Config) {
		s.trusted[name] = env // keep the full trusted requires for history checks
	}
	s.rec.Groups = groupsOf(tres.Config, s.cfg)
	return warnings, nil
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

// deployNode runs an environment's deploy node unless the run has no
// trusted rules or its release is outdated there (see checkOutdated).
func (s *session) deployNode(ctx context.Context, n *plan.Node) error {
	if err := s.checkTrusted(n.Env.Name); err != nil {
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
