package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/history"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// maxCommits bounds the commit list recorded with a deployment.
const maxCommits = 200

// startEnvironment runs an environment's deploy node once admit passed
// it: when the environment has no gates (or its deployment is reopened),
// it begins the deployment at once.
func (s *session) startEnvironment(ctx context.Context, n *plan.Node) error {
	env := n.Env.Name
	if len(n.Env.Gates) > 0 && !s.reopened[env] {
		return nil
	}
	return s.beginDeployment(ctx, env, nil)
}

// succeededIn reports whether the run's release (or, without a release,
// this run) has a successful deployment to env.
func (s *session) succeededIn(ctx context.Context, env string) bool {
	if s.settledHere(ctx, env) {
		return true
	}
	s.mu.Lock()
	rel := s.rel
	s.mu.Unlock()
	f := state.DeploymentFilter{Pipeline: s.run.Pipeline, Environment: env, Status: state.StatusSucceeded}
	if rel != nil {
		f.ReleaseID = rel.ID
	}
	deps, err := s.e.store.ListDeployments(ctx, f)
	if err != nil {
		s.e.logger.Warn("reading deployments", "error", err)
		return false
	}
	return rel != nil && len(deps) > 0
}

// settledHere finishes this run's deployment to env when all its final
// nodes have succeeded, and reports whether it did.
func (s *session) settledHere(ctx context.Context, env string) bool {
	s.mu.Lock()
	d := s.deps[env]
	s.mu.Unlock()
	if d == nil {
		return false
	}
	if d.Status == state.StatusSucceeded {
		return true
	}
	n := s.plan.Node(envKind + "." + env)
	if n == nil {
		return false
	}
	nodes, err := s.e.store.Nodes(ctx, s.run.ID)
	if err != nil {
		return false
	}
	status := map[string]string{}
	for _, sn := range nodes {
		status[sn.NodeID] = sn.Status
	}
	for _, f := range n.Env.Final {
		if !s.finalDone(f, status[f]) {
			return false
		}
	}
	s.endDeployment(ctx, env, state.StatusSucceeded, "")
	return true
}

const envKind = "environment"

// beginDeployment takes the environment lock and records the deployment
// of the run's release, with the approvers and the commits since the
// previous successful deployment. It is idempotent within a run: a
// deployment this run already recorded is reused (resume after a crash).
func (s *session) beginDeployment(ctx context.Context, env string, approvedBy []string) error {
	s.mu.Lock()
	d := s.deps[env]
	s.mu.Unlock()
	if d == nil {
		var (
			closedBy []string
			err      error
		)
		if d, closedBy, err = s.recordedDeployment(ctx, env); err != nil {
			return err
		}
		approvedBy = mergeNames(closedBy, approvedBy)
	}
	if err := s.lock(ctx, env); err != nil {
		return err
	}
	if d != nil {
		if len(approvedBy) > 0 {
			d.ApprovedBy = mergeNames(d.ApprovedBy, approvedBy)
			_ = s.e.store.UpdateDeployment(ctx, d)
		}
		s.mu.Lock()
		s.deps[env] = d
		s.mu.Unlock()
		return nil
	}
	s.mu.Lock()
	rel := s.rel
	s.mu.Unlock()
	d = &state.Deployment{Pipeline: s.run.Pipeline, Environment: env, Version: s.rec.Version, RunID: s.run.ID,
		Kind: s.deployKind, Status: state.StatusRunning, ApprovedBy: approvedBy, StartedAt: s.e.now()}
	commit := s.run.Commit
	if rel != nil {
		d.ReleaseID, commit = rel.ID, rel.Commit
	}
	d.Commits = s.commitsSince(ctx, env, commit)
	if err := s.e.store.CreateDeployment(ctx, d); err != nil {
		return fmt.Errorf("recording the deployment to %s: %w", env, err)
	}
	s.mu.Lock()
	s.deps[env] = d
	s.mu.Unlock()
	s.audit(ctx, "deploy", env, fmt.Sprintf("%s deployment of %s started", d.Kind, d.Version))
	s.notify(ctx, "deploy_started", env, "")
	return nil
}

// recordedDeployment returns the deployment this run already recorded for
// env and left running (a resumed run whose process died), or nil. A
// deployment that was closed (failed, cancelled, or abandoned when another
// run took the lock over) stays as recorded: the resumed run opens a new
// one, which carries the closed one's approvers.
func (s *session) recordedDeployment(ctx context.Context, env string) (d *state.Deployment, approvedBy []string, err error) {
	d, err = s.runDeployment(ctx, env)
	if d != nil && d.Status != state.StatusRunning {
		return nil, d.ApprovedBy, err
	}
	return d, nil, err
}

// runDeployment returns the deployment this run recorded for env as
// stored, or nil.
func (s *session) runDeployment(ctx context.Context, env string) (*state.Deployment, error) {
	deps, err := s.e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: s.run.Pipeline, Environment: env})
	if err != nil {
		return nil, fmt.Errorf("reading deployments of %s: %w", env, err)
	}
	for _, d := range deps {
		if d.RunID == s.run.ID {
			return d, nil
		}
	}
	return nil, nil
}

// reopenDeployments finds the environments whose deployment this run
// recorded but did not finish successfully (the process was killed during
// it, or it failed or was cancelled) and takes their deploy nodes out of
// done. On resume the deploy node then begins the deployment again: it
// takes the environment lock before any of the environment's steps runs,
// and the deployment is settled when they finish. Without this the deploy
// node is reused, the lock is never taken and the record stays running.
func (s *session) reopenDeployments(ctx context.Context, done map[string]bool) error {
	s.reopened = map[string]bool{}
	for _, n := range s.plan.Nodes {
		if n.Kind != plan.KindDeploy || !done[n.ID] {
			continue
		}
		d, err := s.runDeployment(ctx, n.Env.Name)
		if err != nil {
			return err
		}
		if d != nil && d.Status != state.StatusSucceeded {
			delete(done, n.ID)
			s.reopened[n.Env.Name] = true
		}
	}
	return nil
}

func mergeNames(a, b []string) []string {
	out := slices.Clone(a)
	for _, n := range b {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// commitsSince lists the commits of this component (see
// history.Paths) from the commit of the previous successful deployment to
// env (exclusive) to commit, newest first, at most maxCommits. For the
// first deployment to env there is nothing to compare with: it lists the
// component's newest commits up to commit, at most history.FirstLimit.
func (s *session) commitsSince(ctx context.Context, env, commit string) []state.Commit {
	root := s.res.RepoRoot
	if root == "" || commit == "" {
		return nil
	}
	from, limit := "", history.FirstLimit
	prev, err := s.e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: s.run.Pipeline,
		Environment: env, Status: state.StatusSucceeded, Limit: 1})
	if err == nil && len(prev) > 0 {
		from, limit = s.deploymentCommit(ctx, prev[0]), maxCommits
	}
	cs, err := history.Commits(root, history.Paths(s.res.Component, s.cfg.Pipeline.Paths), from, commit, limit)
	if err != nil {
		s.e.logger.Warn("listing the commits of the deployment", "environment", env, "error", err)
		return nil
	}
	return cs
}

// deploymentCommit returns the commit a deployment deployed.
func (s *session) deploymentCommit(ctx context.Context, d *state.Deployment) string {
	if d.ReleaseID != "" {
		if r, err := s.e.store.GetRelease(ctx, d.ReleaseID); err == nil {
			return r.Commit
		}
	}
	if r, err := s.e.store.GetRun(ctx, d.RunID); err == nil {
		return r.Commit
	}
	return ""
}

// settleDeployments records the outcome of every deployment this session
// began, from the nodes' results.
func (s *session) settleDeployments(ctx context.Context, res *exec.Result) {
	s.mu.Lock()
	envs := make([]string, 0, len(s.deps))
	for env, d := range s.deps {
		if d.Status == state.StatusRunning {
			envs = append(envs, env)
		}
	}
	s.mu.Unlock()
	for _, env := range envs {
		status, reason := envOutcome(s.plan.Node(envKind+"."+env), res, s.finalDone)
		if status == "" {
			continue // stopped before its steps: still waiting
		}
		s.endDeployment(ctx, env, status, reason)
	}
}

// envOutcome derives a deployment's status from its final nodes; done
// reports whether a final node's status completes the deployment.
func envOutcome(n *plan.Node, res *exec.Result, done func(id, status string) bool) (status, reason string) {
	if n == nil {
		return state.StatusFailed, "environment not in plan"
	}
	status = state.StatusSucceeded
	for _, f := range n.Env.Final {
		nr := res.Nodes[f]
		if nr == nil {
			continue
		}
		switch {
		case done(f, nr.Status):
		case nr.Status == exec.StatusCancelled:
			return state.StatusCancelled, nr.Reason
		case nr.Status == exec.StatusStopped, nr.Status == exec.StatusNotReached:
			if status == state.StatusSucceeded {
				status = ""
			}
		default:
			reason = nr.Reason
			if reason == "" {
				reason = fmt.Sprintf("%s %s (exit %d)", f, nr.Status, nr.ExitCode)
			}
			return state.StatusFailed, reason
		}
	}
	return status, ""
}

// endDeployment records the deployment's outcome and releases its lock.
func (s *session) endDeployment(ctx context.Context, env, status, reason string) {
	s.mu.Lock()
	d := s.deps[env]
	if d == nil || d.Status != state.StatusRunning {
		s.mu.Unlock()
		return
	}
	d.Status, d.Reason, d.FinishedAt = status, reason, s.e.now()
	s.mu.Unlock()
	if err := s.e.store.UpdateDeployment(ctx, d); err != nil {
		s.e.logger.Warn("recording the deployment outcome", "environment", env, "error", err)
	}
	s.unlock(ctx, env)
	switch status {
	case state.StatusSucceeded:
		s.notify(ctx, "deploy_succeeded", env, "")
	case state.StatusFailed:
		s.notify(ctx, "deploy_failed", env, "")
	}
}

// audit appends an event to the audit trail; a failure is logged.
func (s *session) audit(ctx context.Context, action, env, detail string) {
	ev := &state.AuditEvent{At: s.e.now(), Actor: s.e.actor(), Action: action, Pipeline: s.run.Pipeline,
		Environment: env, RunID: s.run.ID, Release: s.rec.Version, Detail: detail}
	if err := s.e.store.AppendAudit(ctx, ev); err != nil {
		s.e.logger.Warn("appending to the audit trail", "action", action, "error", err)
	}
}

// actor is who this process acts for: Options.Actor, else PIPELINE_USER,
// else "pipeline@HOST".
func (e *Engine) actor() string {
	if e.opts.Actor != "" {
		return e.opts.Actor
	}
	if u, ok := e.opts.Getenv("PIPELINE_USER"); ok && u != "" {
		return u
	}
	return "pipeline@" + e.opts.Host
}
