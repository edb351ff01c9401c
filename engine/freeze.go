package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// ErrFrozen is wrapped by the refusal of a deployment or rollback into an
// environment under a freeze.
var ErrFrozen = errors.New("environment is frozen")

// checkFreeze refuses a deployment (or rollback) into env while one of
// the config's freezes covers it. The freezes are the trusted ref's (see
// applyTrusted). With --override-freeze, an approver of one of env's gates
// deploys anyway; the override is recorded in the audit trail.
func (s *session) checkFreeze(ctx context.Context, env string) error {
	now := s.e.now().UTC()
	var f *dsl.Freeze
	for _, c := range s.cfg.Freezes {
		if c.Covers(env, now) {
			f = c
			break
		}
	}
	if f == nil {
		return nil
	}
	reason := ""
	if f.Reason != "" {
		reason = " (" + f.Reason + ")"
	}
	what := fmt.Sprintf("environment %s is frozen by freeze %q%s until %s", env, f.Name, reason, f.To.Format(time.RFC3339))
	if !s.rec.OverrideFreeze {
		return fmt.Errorf("%w: %s; deployments and rollbacks into it are refused until then. An approver of one of its gates may deploy anyway with --override-freeze, which is recorded in the audit trail",
			ErrFrozen, what)
	}
	who := s.e.actor()
	if err := s.freezeApprover(ctx, env, who); err != nil {
		return fmt.Errorf("%w: %s; --override-freeze was refused: %w", ErrFrozen, what, err)
	}
	ev := &state.AuditEvent{At: s.e.now(), Actor: who, Action: "freeze_override", Pipeline: s.run.Pipeline,
		Environment: env, RunID: s.run.ID, Release: s.rec.Version,
		Detail: fmt.Sprintf("%s overrode freeze %q%s (until %s) to deploy %s", who, f.Name, reason, f.To.Format(time.RFC3339), s.rec.Version)}
	if err := s.e.store.AppendAudit(ctx, ev); err != nil {
		return fmt.Errorf("recording the freeze override in the audit trail: %w", err)
	}
	return nil
}

// freezeApprover checks that who may approve one of env's gates, under
// the trusted rules.
func (s *session) freezeApprover(ctx context.Context, env, who string) error {
	e, ok := s.trusted[env]
	if !ok || len(e.Gates) == 0 {
		return fmt.Errorf("environment %s has no gate, so no approver can override its freeze; wait until it ends, or add a gate with approvers at the trusted ref", env)
	}
	var errs []string
	for _, g := range e.Gates {
		err := rules.CheckApprover(g, who, s.run.Author, s.groupMembers(ctx))
		if err == nil {
			return nil
		}
		errs = append(errs, err.Error())
	}
	return fmt.Errorf("%s is not an approver of any gate of %s (%s); run it as an approver (PIPELINE_USER)", who, env, strings.Join(errs, "; "))
}
