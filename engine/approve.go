package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// Decision is an approval or rejection of a gate.
type Decision struct {
	RunID string
	// Gate is the gate name ("go-live"), or "ENV/GATE" / "ENV.GATE".
	Gate    string
	By      string
	Comment string
}

// DecisionResult is a recorded decision.
type DecisionResult struct {
	Run      *state.Run
	Gate     *state.Gate
	Approval *state.Approval
}

// Approve records d as an approval of a waiting gate after checking the
// gate's trusted approver rules (names, "author", "group:NAME",
// prevent_self_approval). The approval is bound to the digest of the run's
// release; it counts only while the release is unchanged. Refusals are
// errors wrapping rules.ErrNotApprover or rules.ErrSelfApproval (code 1);
// an unknown run or gate, or a gate that is not waiting, is code 2.
func (e *Engine) Approve(ctx context.Context, d Decision) (*DecisionResult, error) {
	return e.decide(ctx, d, "approve")
}

// Reject records d as a rejection: the gate is rejected and the run ends
// with status rejected. The same approver rules apply as for Approve.
func (e *Engine) Reject(ctx context.Context, d Decision) (*DecisionResult, error) {
	return e.decide(ctx, d, "reject")
}

func (e *Engine) decide(ctx context.Context, d Decision, decision string) (*DecisionResult, error) {
	run, err := e.getRun(ctx, d.RunID)
	if err != nil {
		return nil, err
	}
	rec, err := decodeRecorded(run)
	if err != nil {
		return nil, failed(err)
	}
	name := gateName(d.Gate)
	g, err := e.store.GetGate(ctx, run.ID, name)
	if errors.Is(err, state.ErrNotFound) {
		return nil, invalid(fmt.Errorf("run %s has no gate %q that was reached%s", run.ID, d.Gate, e.waitingHint(ctx, run)))
	}
	if err != nil {
		return nil, failed(fmt.Errorf("reading gate %s: %w", name, err))
	}
	if g.Status != gateWaiting {
		return nil, invalid(fmt.Errorf("%w: gate %s of run %s is %s", ErrGateNotWaiting, name, run.ID, g.Status))
	}
	if !g.ExpiresAt.IsZero() && e.now().After(g.ExpiresAt) {
		if err := e.expireGate(ctx, run, g); err != nil {
			return nil, failed(err)
		}
		run.Status, run.Reason, run.FinishedAt = state.StatusExpired, "gate "+name+" expired", e.now()
		_ = e.store.UpdateRun(ctx, run)
		return nil, failed(fmt.Errorf("%w: gate %s of run %s expired at %s", ErrGateNotWaiting, name, run.ID, g.ExpiresAt.Format(time.RFC3339)))
	}
	rule, ok := rec.Gates[name]
	if !ok {
		rule = rules.Gate{Environment: g.Environment, Name: name}
	}
	if err := rules.CheckApprover(rule, d.By, run.Author, e.groupResolver(ctx, rec.Groups)); err != nil {
		return nil, failed(err)
	}
	digest, err := e.currentDigest(ctx, run)
	if err != nil {
		return nil, failed(err)
	}
	a := &state.Approval{RunID: run.ID, Gate: name, By: d.By, Decision: decision, Comment: d.Comment, ReleaseDigest: digest, At: e.now()}
	if err := e.store.AddApproval(ctx, a); err != nil {
		return nil, failed(fmt.Errorf("recording the %s: %w", decision, err))
	}
	if decision == "approve" {
		g.Status = gateApproved
	} else {
		g.Status = state.StatusRejected
	}
	g.DecidedAt = a.At
	if err := e.store.PutGate(ctx, g); err != nil {
		return nil, failed(fmt.Errorf("recording gate %s: %w", name, err))
	}
	if decision == "reject" {
		run.Status, run.Reason, run.FinishedAt, run.PID = state.StatusRejected, fmt.Sprintf("gate %s rejected by %s", name, d.By), e.now(), 0
		if err := e.store.UpdateRun(ctx, run); err != nil {
			return nil, failed(fmt.Errorf("recording the rejected run: %w", err))
		}
	}
	ev := &state.AuditEvent{At: a.At, Actor: d.By, Action: decision, Pipeline: run.Pipeline, Environment: g.Environment,
		RunID: run.ID, Release: rec.Version, Detail: strings.TrimSpace(fmt.Sprintf("gate %s, release digest %s %s", name, digest, d.Comment))}
	if err := e.store.AppendAudit(ctx, ev); err != nil {
		return nil, failed(fmt.Errorf("auditing the %s: %w", decision, err))
	}
	return &DecisionResult{Run: run, Gate: g, Approval: a}, nil
}

// gateName accepts "GATE", "ENV/GATE" and "ENV.GATE".
func gateName(s string) string {
	if i := strings.LastIndexAny(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// currentDigest returns the digest approvals of run bind to.
func (e *Engine) currentDigest(ctx context.Context, run *state.Run) (string, error) {
	if run.ReleaseID == "" {
		return digestFor(run, nil), nil
	}
	r, err := e.store.GetRelease(ctx, run.ReleaseID)
	if err != nil {
		return "", fmt.Errorf("reading the release of run %s: %w", run.ID, err)
	}
	return r.Digest, nil
}

func (e *Engine) waitingHint(ctx context.Context, run *state.Run) string {
	gates, err := e.store.WaitingGates(ctx, run.Pipeline)
	if err != nil {
		return ""
	}
	var names []string
	for _, g := range gates {
		if g.RunID == run.ID {
			names = append(names, g.Name)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("; it is not waiting at any gate (status %s)", run.Status)
	}
	sort.Strings(names)
	return "; it is waiting at " + strings.Join(names, ", ")
}

// getRun reads a run; an unknown id is code 2.
func (e *Engine) getRun(ctx context.Context, id string) (*state.Run, error) {
	run, err := e.store.GetRun(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return nil, invalid(fmt.Errorf("no run %q in the state store; list runs with `pipeline runs`", id))
	}
	if err != nil {
		return nil, failed(fmt.Errorf("reading run %s: %w", id, err))
	}
	return run, nil
}

func decodeRecorded(run *state.Run) (*recorded, error) {
	rec := &recorded{}
	if len(run.Options) == 0 {
		return rec, nil
	}
	if err := json.Unmarshal(run.Options, rec); err != nil {
		return nil, fmt.Errorf("reading the recorded options of run %s: %w", run.ID, err)
	}
	return rec, nil
}
