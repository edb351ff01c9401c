package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/notify"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// gateSep joins an environment and a gate name into a gate reference,
// "production/go-live". Gates are recorded in the state store under that
// reference, so that two environments of one run may each have a gate of
// the same name; `pipeline approve RUN ENV/GATE` accepts it too.
const gateSep = "/"

// gateKey returns the name gate name of environment env is recorded under.
func gateKey(env, name string) string { return env + gateSep + name }

// getGate reads the gate name of environment env of a run. A run recorded
// before gates were keyed by environment holds its gate under the bare
// name; that record counts when its environment matches.
func (e *Engine) getGate(ctx context.Context, runID, env, name string) (*state.Gate, error) {
	g, err := e.store.GetGate(ctx, runID, gateKey(env, name))
	if !errors.Is(err, state.ErrNotFound) {
		return g, err
	}
	if old, oerr := e.store.GetGate(ctx, runID, name); oerr == nil && old.Environment == env {
		return old, nil
	}
	return nil, err
}

// gateEnvs returns, sorted, the environments whose gate rules in gates
// (a run's recorded gates) include a gate called name.
func gateEnvs(gates map[string]rules.Gate, name string) []string {
	seen := map[string]bool{}
	var envs []string
	for _, g := range gates {
		if g.Name == name && !seen[g.Environment] {
			seen[g.Environment] = true
			envs = append(envs, g.Environment)
		}
	}
	sort.Strings(envs)
	return envs
}

// gateRef returns the GATE argument that names gn for approve and reject:
// its bare name, or ENV/GATE when the run has a gate of that name in
// another environment too.
func (s *session) gateRef(gn *plan.GateNode) string {
	if len(gateEnvs(s.rec.Gates, gn.Name)) > 1 {
		return gateKey(gn.Environment, gn.Name)
	}
	return gn.Name
}

// Gate decisions as the gate node sees them.
const (
	gateWaiting  = "waiting"
	gateApproved = "approved"
)

// gate runs a gate node: the first time it records the gate as waiting
// and stops the branch; on resume it passes when an approval bound to the
// current release digest, from an allowed approver, exists; a rejection or
// an expired timeout fails the run. With --wait it polls instead of
// stopping.
func (s *session) gate(ctx context.Context, n *plan.Node) error {
	if err := s.conditionalGate(ctx, n); err != nil {
		return err
	}
	for {
		decision, approvers, err := s.checkGate(ctx, n)
		if err != nil {
			return err
		}
		if decision == gateApproved {
			if err := s.bake(ctx, n); err != nil {
				return err
			}
			if err := s.checkOutdated(ctx, n.Gate.Environment); err != nil {
				return err
			}
			return s.beginDeployment(ctx, n.Gate.Environment, approvers)
		}
		if !s.wait {
			s.addWait(ctx, n)
			return fmt.Errorf("%w: gate %s of %s is waiting for approval", exec.ErrStop, n.Gate.Name, n.Gate.Environment)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.e.opts.PollInterval):
		}
	}
}

// checkGate reads the gate's state and decisions.
func (s *session) checkGate(ctx context.Context, n *plan.Node) (string, []string, error) {
	e, gn := s.e, n.Gate
	digest := s.releaseDigest()
	g, err := e.getGate(ctx, s.run.ID, gn.Environment, gn.Name)
	if errors.Is(err, state.ErrNotFound) {
		g = &state.Gate{RunID: s.run.ID, Pipeline: s.run.Pipeline, Environment: gn.Environment, Name: gateKey(gn.Environment, gn.Name),
			Status: gateWaiting, ReleaseDigest: digest, WaitingSince: e.now()}
		if gn.Timeout > 0 {
			g.ExpiresAt = g.WaitingSince.Add(gn.Timeout)
		}
		if err := e.store.PutGate(ctx, g); err != nil {
			return "", nil, fmt.Errorf("recording gate %s: %w", gn.Name, err)
		}
		s.notify(ctx, "gate_waiting", gn.Environment, s.gateRef(gn))
		return gateWaiting, nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("reading gate %s: %w", gn.Name, err)
	}
	switch g.Status {
	case state.StatusRejected:
		s.setDecision(state.StatusRejected)
		return "", nil, fmt.Errorf("gate %s of %s was rejected", gn.Name, gn.Environment)
	case state.StatusExpired:
		s.setDecision(state.StatusExpired)
		return "", nil, fmt.Errorf("gate %s of %s expired at %s", gn.Name, gn.Environment, g.ExpiresAt.Format(time.RFC3339))
	}
	approvals, err := e.store.Approvals(ctx, s.run.ID, g.Name)
	if err != nil {
		return "", nil, fmt.Errorf("reading approvals of gate %s: %w", gn.Name, err)
	}
	rule := rules.Gate{Environment: gn.Environment, Name: gn.Name, Approvers: gn.Approvers, PreventSelfApproval: gn.PreventSelfApproval, Signed: gn.Signed}
	var by []string
	for _, a := range approvals {
		if a.ReleaseDigest != digest {
			e.logger.Info("approval does not count: it was given for another release", "gate", gn.Name, "by", a.By, "digest", a.ReleaseDigest)
			continue
		}
		if rules.CheckApprover(rule, a.By, s.run.Author, s.groupMembers(ctx)) != nil {
			continue
		}
		if rule.Signed && a.Decision == "approve" && a.Signature == nil {
			e.logger.Info("approval does not count: the gate requires a signed approval", "gate", gn.Name, "by", a.By)
			continue
		}
		if a.Decision == "reject" {
			s.setDecision(state.StatusRejected)
			return "", nil, fmt.Errorf("gate %s of %s was rejected by %s: %s", gn.Name, gn.Environment, a.By, a.Comment)
		}
		by = append(by, a.By)
	}
	if len(by) > 0 {
		return gateApproved, by, nil
	}
	if !g.ExpiresAt.IsZero() && e.now().After(g.ExpiresAt) {
		if err := s.e.expireGate(ctx, s.run, g); err != nil {
			return "", nil, err
		}
		s.setDecision(state.StatusExpired)
		return "", nil, fmt.Errorf("gate %s of %s expired at %s without approval", gn.Name, gn.Environment, g.ExpiresAt.Format(time.RFC3339))
	}
	if g.ReleaseDigest != digest || g.Status != gateWaiting {
		g.ReleaseDigest, g.Status = digest, gateWaiting
		if err := e.store.PutGate(ctx, g); err != nil {
			return "", nil, fmt.Errorf("recording gate %s: %w", gn.Name, err)
		}
	}
	return gateWaiting, nil, nil
}

// bake holds an approved gate for its wait time, counted from the decision.
func (s *session) bake(ctx context.Context, n *plan.Node) error {
	if n.Gate.Wait <= 0 {
		return nil
	}
	g, err := s.e.getGate(ctx, s.run.ID, n.Gate.Environment, n.Gate.Name)
	if err != nil {
		return fmt.Errorf("reading gate %s: %w", n.Gate.Name, err)
	}
	start := g.DecidedAt
	if start.IsZero() {
		start = s.e.now()
	}
	left := start.Add(n.Gate.Wait).Sub(s.e.now())
	if left <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(left):
		return nil
	}
}

func (s *session) setDecision(d string) {
	s.mu.Lock()
	s.decision = d
	s.mu.Unlock()
}

func (s *session) addWait(ctx context.Context, n *plan.Node) {
	w := GateWait{RunID: s.run.ID, Environment: n.Gate.Environment, Gate: n.Gate.Name, Ref: s.gateRef(n.Gate), Approvers: n.Gate.Approvers}
	if g, err := s.e.getGate(ctx, s.run.ID, n.Gate.Environment, n.Gate.Name); err == nil && !g.ExpiresAt.IsZero() {
		w.ExpiresAt = g.ExpiresAt.Format(time.RFC3339)
	}
	s.mu.Lock()
	s.waits = append(s.waits, w)
	s.mu.Unlock()
}

// releaseDigest is the digest approvals bind to: the release's digest, or
// for a pipeline without releases a digest of the run's commit and config.
func (s *session) releaseDigest() string {
	s.mu.Lock()
	rel := s.rel
	s.mu.Unlock()
	return digestFor(s.run, rel)
}

func digestFor(run *state.Run, rel *state.Release) string {
	if rel != nil {
		return rel.Digest
	}
	h := sha256.Sum256([]byte(run.Pipeline + "\x00" + run.Commit + "\x00" + run.ConfigDigest))
	return "sha256:" + hex.EncodeToString(h[:])
}

// groupMembers resolves approver groups: the config's (trusted) groups
// first, then groups kept in the state store.
func (s *session) groupMembers(ctx context.Context) rules.GroupMembers {
	return s.e.groupResolver(ctx, s.rec.Groups)
}

func (e *Engine) groupResolver(ctx context.Context, cfgGroups map[string][]string) rules.GroupMembers {
	return func(name string) ([]string, error) {
		if m, ok := cfgGroups[name]; ok {
			return m, nil
		}
		m, err := e.store.GroupMembers(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("group %q is defined neither in the config nor in the state store: %w", name, err)
		}
		return m, nil
	}
}

// expireGate marks a waiting gate expired and audits it.
func (e *Engine) expireGate(ctx context.Context, run *state.Run, g *state.Gate) error {
	g.Status, g.DecidedAt = state.StatusExpired, e.now()
	if err := e.store.PutGate(ctx, g); err != nil {
		return fmt.Errorf("recording the expiry of gate %s: %w", g.Name, err)
	}
	ev := &state.AuditEvent{At: e.now(), Actor: "pipeline", Action: "expire", Pipeline: run.Pipeline,
		Environment: g.Environment, RunID: run.ID, Detail: fmt.Sprintf("gate %s expired at %s", g.Name, g.ExpiresAt.Format(time.RFC3339))}
	if err := e.store.AppendAudit(ctx, ev); err != nil {
		return fmt.Errorf("auditing the expiry of gate %s: %w", g.Name, err)
	}
	if rec, err := decodeRecorded(run); err == nil {
		e.notifyRun(ctx, run, rec, notify.Event{Kind: "gate_expired", Environment: g.Environment, Gate: strings.TrimPrefix(g.Name, g.Environment+gateSep)})
	}
	return nil
}
