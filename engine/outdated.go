package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// ErrOutdatedRelease reports a pipeline run (often resumed after a gate)
// whose release is older than the one already live in the environment.
var ErrOutdatedRelease = errors.New("a newer release is already live")

// checkOutdated refuses, in a pipeline run, to deploy the run's release to
// env when a newer release is live there: one created after it (without
// releases, by a run started after this one). The live release is the
// one of the most recently finished successful deployment. Promotions and
// rollbacks go back to an older release on purpose and are not checked.
func (s *session) checkOutdated(ctx context.Context, env string) error {
	if s.deployKind != state.DeployKindRun {
		return nil
	}
	deps, err := s.e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: s.run.Pipeline, Environment: env,
		Status: state.StatusSucceeded})
	if err != nil {
		return fmt.Errorf("reading deployments of %s: %w", env, err)
	}
	var live *state.Deployment
	for _, d := range deps {
		if live == nil || finishedAt(d).After(finishedAt(live)) {
			live = d
		}
	}
	if live == nil || live.RunID == s.run.ID {
		return nil
	}
	s.mu.Lock()
	rel := s.rel
	s.mu.Unlock()
	ours, theirs := s.run.StartedAt, time.Time{}
	if rel != nil {
		if live.ReleaseID == rel.ID {
			return nil
		}
		ours = rel.CreatedAt
	}
	if live.ReleaseID != "" {
		r, err := s.e.store.GetRelease(ctx, live.ReleaseID)
		if err != nil {
			return fmt.Errorf("reading release %s: %w", live.Version, err)
		}
		theirs = r.CreatedAt
	} else if run, err := s.e.store.GetRun(ctx, live.RunID); err == nil {
		theirs = run.StartedAt
	}
	if !theirs.After(ours) {
		return nil
	}
	v := s.rec.Version
	return fmt.Errorf("%w: release %s is outdated in %s: the newer release %s (deployed by run %s) is live there, and this run "+
		"does not replace it with an older one; to go back to %s on purpose, run `pipeline deploy %s --release %s` "+
		"(or `pipeline rollback %s --to %s` when %s was live there before)",
		ErrOutdatedRelease, v, env, live.Version, live.RunID, v, env, v, env, v, v)
}

// finishedAt is when d finished, or when it started for a record without
// an end time.
func finishedAt(d *state.Deployment) time.Time {
	if d.FinishedAt.IsZero() {
		return d.StartedAt
	}
	return d.FinishedAt
}
