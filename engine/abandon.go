package engine

import (
	"context"
	"fmt"

	"github.com/pipeline-cd/pipeline/engine/history"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// abandonedReason is the reason recorded on a deployment closed because the
// process that ran it died while holding the environment lock.
const abandonedReason = "abandoned: the pipeline process that ran it is gone"

// abandonDeployments closes, as failed, every deployment to env still
// recorded as running by prev.Holder, whose lock this session has just
// taken over after proving its process gone. Each is audited as
// "abandon". Without this the dead run's deployment stays running forever;
// when the dead run is resumed later it opens a new deployment record.
func (s *session) abandonDeployments(ctx context.Context, env string, prev *state.Lock) {
	deps, err := s.e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: s.run.Pipeline, Environment: env, Status: state.StatusRunning})
	if err != nil {
		s.e.logger.Warn("reading the deployments of the lock's dead holder", "environment", env, "run", prev.Holder, "error", err)
		return
	}
	for _, d := range deps {
		if d.RunID != prev.Holder {
			continue
		}
		d.Status, d.Reason, d.FinishedAt = state.StatusFailed, abandonedReason, s.e.now()
		if err := s.e.store.UpdateDeployment(ctx, d); err != nil {
			s.e.logger.Warn("closing the dead holder's deployment", "environment", env, "run", prev.Holder, "error", err)
			continue
		}
		ev := &state.AuditEvent{At: s.e.now(), Actor: s.e.actor(), Action: "abandon", Pipeline: s.run.Pipeline,
			Environment: env, RunID: d.RunID, Release: d.Version,
			Detail: fmt.Sprintf("deployment %s of %s closed as failed (%s: pid %d on %s); run %s took over the lock",
				d.ID, d.Version, abandonedReason, prev.PID, prev.Host, s.run.ID)}
		if err := s.e.store.AppendAudit(ctx, ev); err != nil {
			s.e.logger.Warn("appending to the audit trail", "action", ev.Action, "error", err)
		}
	}
}

// liveDeployment returns the deployment that is live; see history.Live.
func liveDeployment(deps []*state.Deployment) *state.Deployment { return history.Live(deps) }
