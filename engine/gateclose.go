package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// closeWaitingGates marks every gate of the session's run that still waits
// as cancelled (DecidedAt now), when the run is cancelled: status and
// serve no longer offer them, and approve and resume refuse the run.
func (s *session) closeWaitingGates(ctx context.Context) error {
	e := s.e
	gates, err := e.store.WaitingGates(ctx, s.run.Pipeline)
	if err != nil {
		return fmt.Errorf("closing the gates of cancelled run %s: %w", s.run.ID, err)
	}
	var errs []error
	for _, g := range gates {
		if g.RunID != s.run.ID {
			continue
		}
		g.Status, g.DecidedAt = state.StatusCancelled, e.now()
		if err := e.store.PutGate(ctx, g); err != nil {
			errs = append(errs, fmt.Errorf("closing gate %s of cancelled run %s: %w", g.Name, s.run.ID, err))
		}
	}
	return errors.Join(errs...)
}

// gateExpired reports whether g has expired at now: recorded as expired,
// or still recorded as waiting past its ExpiresAt.
func gateExpired(g *state.Gate, now time.Time) bool {
	if g.Status == state.StatusExpired {
		return true
	}
	return g.Status == gateWaiting && !g.ExpiresAt.IsZero() && now.After(g.ExpiresAt)
}

// expireRun records that run cannot go on past its expired gate g: a gate
// still recorded as waiting is marked expired and audited (so the expiry
// is audited once), and a run recorded as waiting ends as expired.
func (e *Engine) expireRun(ctx context.Context, run *state.Run, g *state.Gate) error {
	if g.Status == gateWaiting {
		if err := e.expireGate(ctx, run, g); err != nil {
			return err
		}
	}
	if run.Status != state.StatusWaiting {
		return nil
	}
	run.Status, run.Reason, run.FinishedAt, run.PID = state.StatusExpired, "gate "+g.Name+" expired", e.now(), 0
	if err := e.store.UpdateRun(ctx, run); err != nil {
		return fmt.Errorf("recording the expired run %s: %w", run.ID, err)
	}
	return nil
}

// expiredRefusal is the refusal (code 2) to approve, reject or resume past
// the expired gate g; it matches ErrGateExpired and also.
func expiredRefusal(g *state.Gate, also error) error {
	name := strings.TrimPrefix(g.Name, g.Environment+gateSep)
	return invalid(&refusal{
		msg: fmt.Sprintf("gate %s of %s expired at %s; start a new run", name, g.Environment, g.ExpiresAt.Format(time.RFC3339)),
		is:  []error{ErrGateExpired, also},
	})
}

// cancelledRefusal is the refusal (code 2) to approve, reject or resume a
// cancelled run; it matches ErrRunCancelled and also.
func cancelledRefusal(run *state.Run, rec *recorded, also error) error {
	return invalid(&refusal{
		msg: fmt.Sprintf("run %s was cancelled: its gates are closed and it cannot be approved or resumed; start a new run (%s)",
			run.ID, newRunCommand(run, rec)),
		is: []error{ErrRunCancelled, also},
	})
}

// newRunCommand returns the command that starts a run like run anew.
func newRunCommand(run *state.Run, rec *recorded) string {
	switch {
	case run.Kind == "deploy" && rec.Environment != "" && rec.Version != "":
		return fmt.Sprintf("pipeline deploy %s --release %s", rec.Environment, rec.Version)
	case run.Kind == "rollback" && rec.Environment != "":
		return "pipeline rollback " + rec.Environment
	}
	return "pipeline run"
}

// refuseExpired returns the refusal to resume run when one of its gates
// has expired, after recording the expiry (see expireRun); nil when none
// has.
func (e *Engine) refuseExpired(ctx context.Context, run *state.Run, rec *recorded) error {
	gates, err := e.runGates(ctx, run, rec)
	if err != nil {
		return failed(err)
	}
	now := e.now()
	for _, g := range gates {
		if gateExpired(g, now) {
			if err := e.expireRun(ctx, run, g); err != nil {
				return failed(err)
			}
			return expiredRefusal(g, ErrNotResumable)
		}
	}
	return nil
}

// runGates returns the gates run reached, sorted by name: those of its
// recorded gate rules, else (a run recorded without them) those waiting.
func (e *Engine) runGates(ctx context.Context, run *state.Run, rec *recorded) ([]*state.Gate, error) {
	var out []*state.Gate
	if len(rec.Gates) == 0 {
		gates, err := e.store.WaitingGates(ctx, run.Pipeline)
		if err != nil {
			return nil, fmt.Errorf("reading the gates of run %s: %w", run.ID, err)
		}
		for _, g := range gates {
			if g.RunID == run.ID {
				out = append(out, g)
			}
		}
	}
	for _, rule := range rec.Gates {
		g, err := e.getGate(ctx, run.ID, rule.Environment, rule.Name)
		if errors.Is(err, state.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading gate %s of run %s: %w", gateKey(rule.Environment, rule.Name), run.ID, err)
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
