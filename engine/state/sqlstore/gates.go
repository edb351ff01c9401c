package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

const gateColumns = `run_id, name, pipeline, environment, status, release_digest, waiting_since, expires_at, decided_at`

// PutGate implements state.GateStore.
func (s *Store) PutGate(ctx context.Context, g *state.Gate) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO gates (`+gateColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, name) DO UPDATE SET
	pipeline = excluded.pipeline, environment = excluded.environment, status = excluded.status,
	release_digest = excluded.release_digest, waiting_since = excluded.waiting_since,
	expires_at = excluded.expires_at, decided_at = excluded.decided_at`),
		g.RunID, g.Name, g.Pipeline, g.Environment, g.Status, g.ReleaseDigest,
		ns(g.WaitingSince), ns(g.ExpiresAt), ns(g.DecidedAt))
	if err := s.classify(err, state.ErrConflict); err != nil {
		return fmt.Errorf("put gate %q of run %q: %w", g.Name, g.RunID, err)
	}
	return nil
}

// GetGate implements state.GateStore.
func (s *Store) GetGate(ctx context.Context, runID, name string) (*state.Gate, error) {
	g, err := scanGate(s.db.QueryRowContext(ctx, s.q(`SELECT `+gateColumns+` FROM gates WHERE run_id = ? AND name = ?`), runID, name))
	if err != nil {
		return nil, fmt.Errorf("get gate %q of run %q: %w", name, runID, notFound(err))
	}
	return g, nil
}

// WaitingGates implements state.GateStore.
func (s *Store) WaitingGates(ctx context.Context, pipeline string) ([]*state.Gate, error) {
	query := `SELECT ` + gateColumns + ` FROM gates WHERE status = ?`
	args := []any{state.StatusWaiting}
	if pipeline != "" {
		query += ` AND pipeline = ?`
		args = append(args, pipeline)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY waiting_since, run_id, name`), args...)
	if err != nil {
		return nil, fmt.Errorf("waiting gates: %w", err)
	}
	defer rows.Close()
	var out []*state.Gate
	for rows.Next() {
		g, err := scanGate(rows)
		if err != nil {
			return nil, fmt.Errorf("waiting gates: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("waiting gates: %w", err)
	}
	return out, nil
}

func scanGate(sc scanner) (*state.Gate, error) {
	var g state.Gate
	var since, expires, decided int64
	if err := sc.Scan(&g.RunID, &g.Name, &g.Pipeline, &g.Environment, &g.Status, &g.ReleaseDigest,
		&since, &expires, &decided); err != nil {
		return nil, err
	}
	g.WaitingSince, g.ExpiresAt, g.DecidedAt = tm(since), tm(expires), tm(decided)
	return &g, nil
}

// AddApproval implements state.GateStore.
func (s *Store) AddApproval(ctx context.Context, a *state.Approval) error {
	if a.At.IsZero() {
		a.At = time.Now().UTC()
	}
	payload, armored, fp := sigColumns(a.Signature)
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO approvals
	(run_id, gate, actor, decision, comment_text, release_digest, decided_at, signed_payload, signature, key_fingerprint)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), a.RunID, a.Gate, a.By, a.Decision, a.Comment, a.ReleaseDigest, ns(a.At), payload, armored, fp)
	if err := s.classify(err, state.ErrConflict); err != nil {
		return fmt.Errorf("add %s by %q to gate %q of run %q: %w", a.Decision, a.By, a.Gate, a.RunID, err)
	}
	return nil
}

// Approvals implements state.GateStore.
func (s *Store) Approvals(ctx context.Context, runID, gate string) ([]*state.Approval, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run_id, gate, actor, decision, comment_text, release_digest, decided_at,
	signed_payload, signature, key_fingerprint
FROM approvals WHERE run_id = ? AND gate = ? ORDER BY id`), runID, gate)
	if err != nil {
		return nil, fmt.Errorf("approvals of gate %q of run %q: %w", gate, runID, err)
	}
	defer rows.Close()
	var out []*state.Approval
	for rows.Next() {
		var a state.Approval
		var at int64
		var payload, armored, fp string
		if err := rows.Scan(&a.RunID, &a.Gate, &a.By, &a.Decision, &a.Comment, &a.ReleaseDigest, &at, &payload, &armored, &fp); err != nil {
			return nil, fmt.Errorf("approvals of gate %q of run %q: %w", gate, runID, err)
		}
		a.At = tm(at)
		a.Signature = sigOf(payload, armored, fp)
		out = append(out, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("approvals of gate %q of run %q: %w", gate, runID, err)
	}
	return out, nil
}
