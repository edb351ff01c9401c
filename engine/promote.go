package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agext/levenshtein"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine/checkout"
	"github.com/pipeline-cd/pipeline/engine/history"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// DeployRequest promotes an existing release to an environment.
type DeployRequest struct {
	// Config is the loaded working-tree config; the environment's steps
	// are taken from the config at the release's commit when in git.
	Config      *loader.Result
	Vars        []dsl.VarArg
	Environment string
	Version     string
	Runner      string
	Wait        bool
	WaitLock    time.Duration
	TrustedRef  string
	Started     func(RunInfo)
	// OverrideFreeze: see RunRequest.OverrideFreeze.
	OverrideFreeze bool
}

// RollbackRequest rolls an environment back.
type RollbackRequest struct {
	DeployRequest
	// To is the version to roll back to; "" picks the rollback target.
	To string
}

// Deploy promotes release req.Version to req.Environment without
// rebuilding: the trusted branches, requires and gates apply. It records a
// run of kind "deploy" and a deployment of kind "promote".
func (e *Engine) Deploy(ctx context.Context, req DeployRequest) (*RunResult, error) {
	if req.Version == "" {
		return nil, invalid(errors.New("name the release to deploy with --release VERSION; list them with `pipeline releases`"))
	}
	if err := CheckEnvironment(req.Config.Config, req.Environment); err != nil {
		return nil, err
	}
	rel, err := e.releaseByVersion(ctx, req.Config, req.Version)
	if err != nil {
		return nil, err
	}
	return e.deployRelease(ctx, req, rel, "deploy")
}

// Rollback redeploys the rollback target of req.Environment (see
// RollbackTarget), or the release req.To, with the release's own recorded
// artifacts and images, and records it as a rollback in the deployments
// and the audit trail. A rollback returns to a release that already passed
// this environment's rules, so gates, branches and requires are not
// applied again; it is audited instead. Without a target it fails with
// ErrNoRollbackTarget. A release req.To whose deployment to the
// environment never succeeded is refused with ErrNeverDeployed (code 2):
// it has not passed the environment's rules, so it must be promoted with
// Deploy.
func (e *Engine) Rollback(ctx context.Context, req RollbackRequest) (*RunResult, error) {
	if err := CheckEnvironment(req.Config.Config, req.Environment); err != nil {
		return nil, err
	}
	var rel *state.Release
	var err error
	if req.To != "" {
		if rel, err = e.releaseByVersion(ctx, req.Config, req.To); err == nil {
			err = e.deployedBefore(ctx, rel, req.Environment)
		}
		if err == nil {
			err = e.notLive(ctx, rel, req.Environment)
		}
	} else {
		rel, err = e.rollbackRelease(ctx, req.Config.Config.Pipeline.Name, req.Environment)
	}
	if err != nil {
		return nil, err
	}
	return e.deployRelease(ctx, req.DeployRequest, rel, "rollback")
}

// deployedBefore returns nil when a deployment of rel to env succeeded
// before. Otherwise it refuses a rollback to rel with code 2 and an error
// wrapping ErrNeverDeployed that points at `pipeline deploy`, which
// applies the environment's gates, branches and requires.
func (e *Engine) deployedBefore(ctx context.Context, rel *state.Release, env string) error {
	deps, err := e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: rel.Pipeline, Environment: env,
		ReleaseID: rel.ID, Status: state.StatusSucceeded, Limit: 1})
	if err != nil {
		return failed(fmt.Errorf("reading deployments of %s: %w", env, err))
	}
	if len(deps) == 0 {
		return invalid(fmt.Errorf("%w: release %s was never deployed to %s successfully, so it has not passed the gates, "+
			"branches and requires of %s; a rollback only returns to a release that was live there before. "+
			"Promote it with its rules applied: pipeline deploy %s --release %s",
			ErrNeverDeployed, rel.Version, env, env, env, rel.Version))
	}
	return nil
}

// notLive refuses (code 2, ErrAlreadyLive) a rollback of env to rel when
// rel is the release live there and the last deployment that finished
// there is its successful one: there is nothing to roll back. After a
// failed deployment (which may have left the environment half changed)
// a rollback to the release live before it is allowed.
func (e *Engine) notLive(ctx context.Context, rel *state.Release, env string) error {
	deps, err := e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: rel.Pipeline, Environment: env})
	if err != nil {
		return failed(fmt.Errorf("reading deployments of %s: %w", env, err))
	}
	live := history.Settled(deps)
	if live == nil || live.Status != state.StatusSucceeded || live.ReleaseID != rel.ID {
		return nil
	}
	return invalid(fmt.Errorf("%w: release %s is already live in %s (deployed by run %s, finished %s); "+
		"deployed there: %s. Roll back to another release with --to VERSION, or redeploy this one with `pipeline deploy %s --release %s`",
		ErrAlreadyLive, rel.Version, env, live.RunID, live.FinishedAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		history.Summary(deps), env, rel.Version))
}

func (e *Engine) rollbackRelease(ctx context.Context, pipeline, env string) (*state.Release, error) {
	deps, err := e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: pipeline, Environment: env})
	if err != nil {
		return nil, failed(fmt.Errorf("reading deployments of %s: %w", env, err))
	}
	_, target, err := RollbackTarget(deps)
	if err != nil {
		return nil, failed(fmt.Errorf("rollback of %s (pipeline %s): %w", env, pipeline, err))
	}
	rel, err := e.store.GetRelease(ctx, target.ReleaseID)
	if err != nil {
		return nil, failed(fmt.Errorf("reading release %s: %w", target.Version, err))
	}
	return rel, nil
}

// RollbackTarget picks, from an environment's deployments (newest first),
// the current deployment and the rollback target; see
// history.RollbackTarget.
func RollbackTarget(deps []*state.Deployment) (current, target *state.Deployment, err error) {
	return history.RollbackTarget(deps)
}

func (e *Engine) releaseByVersion(ctx context.Context, res *loader.Result, version string) (*state.Release, error) {
	rel, err := e.store.ReleaseByVersion(ctx, res.Config.Pipeline.Name, version)
	if errors.Is(err, state.ErrNotFound) {
		return nil, invalid(fmt.Errorf("%w: %s has no release %q; list them with `pipeline releases`", ErrNoRelease, res.Config.Pipeline.Name, version))
	}
	if err != nil {
		return nil, failed(fmt.Errorf("reading release %s: %w", version, err))
	}
	return rel, nil
}

// deployRelease runs the environment's part of the plan for rel.
func (e *Engine) deployRelease(ctx context.Context, req DeployRequest, rel *state.Release, kind string) (*RunResult, error) {
	if err := CheckEnvironment(req.Config.Config, req.Environment); err != nil {
		return nil, err
	}
	if err := e.verifyArtifacts(rel); err != nil {
		return nil, failed(err)
	}
	id := e.opts.NewID()
	rec := &recorded{Dir: req.Config.AbsDir, Ref: rel.Commit, Vars: req.Vars, Runner: req.Runner,
		TrustedRef: req.TrustedRef, Version: rel.Version, Environment: req.Environment, Kind: kind, OverrideFreeze: req.OverrideFreeze}
	res := req.Config
	if res.RepoRoot != "" && rel.Commit != "" {
		if err := checkout.Available(res.RepoRoot, rel.Commit, "release "+rel.Version); err != nil {
			return nil, invalid(err)
		}
		var err error
		if res, err = e.load(req.Config.AbsDir, rel.Commit, rel.Branch, rec); err != nil {
			return nil, err
		}
	}
	if res.Config.Stage(dsl.KindEnvironment, req.Environment) == nil {
		return nil, invalid(fmt.Errorf("%w: the config of release %s (commit %.12s) has no environment %q", ErrUnknownEnvironment, rel.Version, rel.Commit, req.Environment))
	}
	s, warnings, err := e.prepare(res, id, rec)
	if err != nil {
		return nil, err
	}
	s.wait, s.waitLock = req.Wait, req.WaitLock
	s.deployKind = deployKindOf(kind)
	s.run = &state.Run{ID: id, Pipeline: rel.Pipeline, Component: res.Component, Commit: rel.Commit, Branch: rel.Branch,
		Author: rel.Author, ConfigDigest: rel.ConfigDigest, Kind: kind, Status: state.StatusRunning, ReleaseID: rel.ID,
		Host: e.opts.Host, PID: e.opts.PID, StartedAt: e.now()}
	s.setRelease(rel)
	if err := s.record(ctx); err != nil {
		return nil, err
	}
	var notes []string
	gateNote := ""
	if kind == "rollback" {
		if gateNote = s.gatesSkipped(ctx, req.Environment, rel); gateNote != "" {
			notes = append(notes, gateNote)
		}
	}
	if res.RepoRoot != "" && rel.Commit != "" {
		notes = append(notes, fmt.Sprintf("the steps of %s run from a temporary checkout of release %s's commit %.12s, not from the working tree",
			req.Environment, rel.Version, rel.Commit))
	}
	if req.Started != nil {
		req.Started(RunInfo{Run: s.run, TrustedRef: rec.TrustedRef, Warnings: warnings, Notes: notes})
	}
	s.notify(ctx, "run_started", "", "")
	if kind == "rollback" {
		detail := fmt.Sprintf("rollback of %s to release %s (commit %.12s)", req.Environment, rel.Version, rel.Commit)
		if gateNote != "" {
			detail += "; " + gateNote
		}
		s.audit(ctx, "rollback", req.Environment, detail)
		s.notify(ctx, "rollback", req.Environment, "")
	}
	return s.execute(ctx, nil, warnings)
}

// gatesSkipped explains, for a rollback of env to rel, that the gates of
// env are not applied again and why; "" when env has no gates.
func (s *session) gatesSkipped(ctx context.Context, env string, rel *state.Release) string {
	var names []string
	for _, g := range s.trusted[env].Gates {
		names = append(names, g.Name)
	}
	if len(names) == 0 {
		return ""
	}
	gates := strings.Join(names, ", ")
	deps, err := s.e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: rel.Pipeline, Environment: env,
		ReleaseID: rel.ID, Status: state.StatusSucceeded, Limit: 1})
	if err != nil || len(deps) == 0 {
		return fmt.Sprintf("gates skipped: %s (a rollback does not apply gates; release %s already passed them in %s)", gates, rel.Version, env)
	}
	return fmt.Sprintf("gates skipped: %s (release %s already passed them when it was deployed to %s on %s)",
		gates, rel.Version, env, deps[0].StartedAt.UTC().Format("2006-01-02 15:04 UTC"))
}

// CheckEnvironment returns nil when cfg defines environment env. Otherwise
// it returns an error with exit code 2 that wraps ErrUnknownEnvironment,
// names the pipeline's environments and suggests the closest name.
func CheckEnvironment(cfg *dsl.Config, env string) error {
	if cfg.Stage(dsl.KindEnvironment, env) != nil {
		return nil
	}
	pipeline := "the pipeline"
	if cfg.Pipeline != nil && cfg.Pipeline.Name != "" {
		pipeline = "pipeline " + cfg.Pipeline.Name
	}
	var names []string
	for _, s := range cfg.Environments() {
		names = append(names, s.Name)
	}
	if len(names) == 0 {
		return invalid(fmt.Errorf("%w %q: %s has no environments; declare one with an environment block", ErrUnknownEnvironment, env, pipeline))
	}
	slices.Sort(names)
	hint := ""
	if best := closest(env, names); best != "" {
		hint = fmt.Sprintf(" Did you mean %q?", best)
	}
	return invalid(fmt.Errorf("%w %q: %s has no such environment.%s Its environments are: %s",
		ErrUnknownEnvironment, env, pipeline, hint, strings.Join(names, ", ")))
}

// closest returns the candidate nearest to name by edit distance when it
// is close enough to be a likely typo (distance under 3), else "".
func closest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(name, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// verifyArtifacts checks that every artifact blob of rel is intact.
func (e *Engine) verifyArtifacts(rel *state.Release) error {
	if len(rel.Artifacts) == 0 {
		return nil
	}
	if e.cas == nil {
		return errors.New("no artifact store is configured")
	}
	for _, a := range rel.Artifacts {
		if err := e.cas.Verify(a.SHA256); err != nil {
			return fmt.Errorf("release %s artifact %s: %w", rel.Version, a.Name, err)
		}
	}
	return nil
}

// environmentOnly returns a copy of cfg that holds only environment env,
// without its ordering edges (requires are checked from history by the
// deploy node); for a rollback also without its gates.
func environmentOnly(cfg *dsl.Config, env string, rollback bool) *dsl.Config {
	out := *cfg
	src := cfg.Stage(dsl.KindEnvironment, env)
	st := *src
	st.Needs, st.NeedsSet, st.Requires = nil, false, nil
	if rollback {
		st.Gates = nil
	}
	out.Stages = []*dsl.Stage{&st}
	return &out
}
