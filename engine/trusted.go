package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/signoff"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/trust"
)

// ErrNoTrustedRules reports a run in a git repository whose protection
// rules cannot be read from the trusted ref: its environments are refused.
var ErrNoTrustedRules = trust.ErrNoTrustedRules

// applyTrusted reads the protection rules from the trusted ref (see
// trust.Load), applies them to the config and returns the differences as
// warnings. When they cannot be read, the run's environments are refused
// (see refuseEnvironments); build, test and package stages still run.
// Outside git the working tree's config is the only config and its rules
// apply.
func (s *session) applyTrusted() ([]string, error) {
	head := rules.FromConfig(s.cfg)
	s.trusted = head
	s.rec.Groups = groupsOf(s.cfg, nil)
	s.rec.Signers = signoff.SignersOf(s.cfg)
	tr := trust.Load(trust.Request{Head: s.res, Ref: s.rec.TrustedRef, Getenv: s.e.opts.Getenv})
	s.tr = tr
	if !tr.InGit() {
		s.notifyCfg = s.cfg
		s.e.logger.Debug("not in a git repository: the working tree's config is the only config, so its protection rules apply",
			"dir", s.res.AbsDir)
		return nil, nil
	}
	if tr.Ref != "" {
		s.rec.TrustedRef = tr.Ref
	}
	if tr.Refused != nil {
		return s.refuseEnvironments(tr.Refused)
	}
	s.trustedHost = plan.HostSteps(tr.Config)
	rules.Apply(s.cfg, tr.Config)
	// Freezes, like gates, are the trusted ref's: a branch cannot lift one.
	if tr.Config != nil {
		s.cfg.Freezes = tr.Config.Freezes
	}
	s.notifyCfg = tr.Config
	s.trusted = rules.FromConfig(s.cfg)
	for name, env := range rules.FromConfig(tr.Config) {
		s.trusted[name] = env // keep the full trusted requires for history checks
	}
	s.rec.Groups = groupsOf(tr.Config, s.cfg)
	s.rec.Signers = signoff.SignersOf(tr.Config)
	return tr.Warnings, nil
}

// leaveOutFresh takes the environments that the trusted ref does not
// define (trust.Result.Fresh) out of the session's config, so that nothing
// of them is planned or run, and returns why, one warning each. An
// environment the operator asked for by name (--only, --until, deploy
// ENV) refuses the whole run instead (code 2, before anything runs or is
// recorded). A rollback is not refused, as in checkTrusted.
func (s *session) leaveOutFresh() ([]string, error) {
	if s.tr == nil || s.rec.Kind == "rollback" {
		return nil, nil
	}
	fresh := s.tr.Fresh(s.cfg)
	var warnings []string
	var asked []error
	for _, env := range fresh {
		why := s.tr.FreshError(env)
		if trust.Asked(env, s.rec.Only, s.rec.Until, s.rec.Environment) {
			asked = append(asked, fmt.Errorf("environment %s was asked for and is refused, so nothing runs: %w", env, why))
			continue
		}
		warnings = append(warnings, fmt.Sprintf("%s. It is not deployed by this run; the other stages run", why))
	}
	out := trust.Without(s.cfg, fresh)
	if len(fresh) > 0 && len(asked) == 0 && slices.Contains(s.rec.Only, string(dsl.KindEnvironment)) && len(out.Environments()) == 0 {
		// --only environment, and none is on the trusted ref
		for _, env := range fresh {
			asked = append(asked, fmt.Errorf("environment %s was asked for and is refused (--only environment), so nothing runs: %w", env, s.tr.FreshError(env)))
		}
	}
	if len(asked) > 0 {
		return nil, invalid(errors.Join(asked...))
	}
	s.cfg = out
	s.fresh = fresh
	return warnings, nil
}

// checkSecrets refuses the run (code 2, before anything runs or is
// recorded) when a step would receive a secret outside the scope the
// trusted ref gives it (trust.Result.CheckSecrets), or when the config
// reads such a secret's variable with env(), which no scope can follow.
// It then hides those variables from env() for the rest of the run.
func (s *session) checkSecrets() error {
	if s.tr == nil {
		return nil
	}
	if err := s.tr.CheckSecrets(s.cfg); err != nil {
		return invalid(err)
	}
	var read []string
	for _, name := range s.res.Config.EnvRead() {
		if s.tr.Scoped(name) {
			read = append(read, name)
		}
	}
	if len(read) > 0 {
		return invalid(fmt.Errorf("%w: the config reads %s with env(), but the trusted ref %s gives %s only to the steps of "+
			"the environments a secret block scopes it to, and env() cannot be scoped; list the secret in those steps "+
			"(secrets = [secret.NAME]) instead of reading it with env()",
			trust.ErrSecretOutOfScope, strings.Join(read, ", "), s.rec.TrustedRef, strings.Join(read, ", ")))
	}
	s.res.Config.HideEnv(s.tr.Scoped)
	s.cfg.HideEnv(s.tr.Scoped)
	return nil
}

// unprovenBranch notes, for a run whose branch a CI variable claimed
// without proof (dsl.GitInfo.BranchUnproven), why the branch is unknown,
// so that the environments with branches rules refuse the release, and
// returns the warning that says so ("" when the branch counts or no
// planned environment has branches rules).
func (s *session) unprovenBranch(g dsl.GitInfo) string {
	if g.BranchUnproven == "" {
		return ""
	}
	s.branchWhy, s.rec.BranchUnproven = g.BranchUnproven, g.BranchUnproven
	var envs []string
	for _, n := range s.plan.Nodes {
		if n.Kind == plan.KindDeploy && len(s.trusted[n.Env.Name].Branches) > 0 {
			envs = append(envs, n.Env.Name)
		}
	}
	if len(envs) == 0 {
		return ""
	}
	return fmt.Sprintf("the branch of this run is unknown, so %s, whose branches rules need one, %s refused (build, test and package run): %s",
		strings.Join(envs, ", "), isAre(len(envs)), g.BranchUnproven)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// skipSelection returns the --skip names without those of environments
// left out by leaveOutFresh, which the plan no longer knows.
func (s *session) skipSelection() []string {
	var out []string
	for _, name := range s.rec.Skip {
		if !slices.ContainsFunc(s.fresh, func(env string) bool { return trust.Asked(env, []string{name}, "", "") }) {
			out = append(out, name)
		}
	}
	return out
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
		if s.run.Branch == "" && s.branchWhy != "" {
			return fmt.Errorf("%w; the branch is unknown: %s", err, s.branchWhy)
		}
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
	if err := s.checkFreeze(ctx, n.Env.Name); err != nil {
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
