package engine

import (
	"context"
	"fmt"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// gateStatusNotRequired is the recorded status of a gate whose when was
// false for the run's release.
const gateStatusNotRequired = "not_required"

// conditionalGate decides a gate with a when. The gate block is taken from
// the config after the trusted rules were applied (rules.Apply), so its
// condition is the trusted ref's. It returns nil when the gate applies; an
// error wrapping exec.ErrNotRequired, after recording the gate as not
// required (and in the audit trail, with the reason) and beginning the
// deployment, when it does not; another error when the condition cannot be
// decided.
func (s *session) conditionalGate(ctx context.Context, n *plan.Node) error {
	gn := n.Gate
	var def *dsl.Gate
	if st := s.cfg.Stage(dsl.KindEnvironment, gn.Environment); st != nil {
		for _, g := range st.Gates {
			if g.Name == gn.Name {
				def = g
			}
		}
	}
	if def == nil || def.When == nil {
		return nil
	}
	s.mu.Lock()
	scope := s.scope
	s.mu.Unlock()
	if scope.Release != nil && scope.Release.Branch == "" {
		rel := *scope.Release
		rel.Branch, rel.Commit = s.run.Branch, s.run.Commit
		scope.Release = &rel
	}
	w, diags := s.cfg.EvalGateWhen(def, scope)
	switch {
	case diags.HasErrors():
		return fmt.Errorf("gate %s of %s: its when cannot be evaluated, so the gate applies: %w", gn.Name, gn.Environment, diags)
	case !w.Known:
		return nil // not decidable: the gate applies
	case w.Value:
		return nil
	}
	reason := fmt.Sprintf("not required: its when (%s) is false", w.Source)
	g := &state.Gate{RunID: s.run.ID, Pipeline: s.run.Pipeline, Environment: gn.Environment, Name: gateKey(gn.Environment, gn.Name),
		Status: gateStatusNotRequired, ReleaseDigest: s.releaseDigest(), WaitingSince: s.e.now(), DecidedAt: s.e.now()}
	if err := s.e.store.PutGate(ctx, g); err != nil {
		return fmt.Errorf("recording gate %s as not required: %w", gn.Name, err)
	}
	ev := &state.AuditEvent{At: s.e.now(), Actor: s.e.actor(), Action: "gate_not_required", Pipeline: s.run.Pipeline,
		Environment: gn.Environment, RunID: s.run.ID, Release: s.rec.Version,
		Detail: fmt.Sprintf("gate %s %s for release %s from branch %s", gn.Name, reason, s.rec.Version, s.run.Branch)}
	if err := s.e.store.AppendAudit(ctx, ev); err != nil {
		s.e.logger.Warn("appending to the audit trail", "action", ev.Action, "error", err)
	}
	if err := s.beginDeployment(ctx, gn.Environment, nil); err != nil {
		return err
	}
	return fmt.Errorf("%w: gate %s %s", exec.ErrNotRequired, gn.Name, reason)
}
