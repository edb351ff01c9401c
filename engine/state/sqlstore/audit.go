package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// AppendAudit implements state.AuditStore. The store assigns e.Seq from an
// auto-increment column.
func (s *Store) AppendAudit(ctx context.Context, e *state.AuditEvent) error {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	payload, armored, fp := sigColumns(e.Signature)
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO audit (at, actor, action, pipeline, environment, run_id, release, detail,
	signed_payload, signature, key_fingerprint)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`),
		ns(e.At), e.Actor, e.Action, e.Pipeline, e.Environment, e.RunID, e.Release, e.Detail, payload, armored, fp).Scan(&e.Seq)
	if err != nil {
		return fmt.Errorf("append audit event %q: %w", e.Action, err)
	}
	return nil
}

// Audit implements state.AuditStore.
func (s *Store) Audit(ctx context.Context, pipeline string, limit int) ([]*state.AuditEvent, error) {
	query := `SELECT seq, at, actor, action, pipeline, environment, run_id, release, detail,
	signed_payload, signature, key_fingerprint FROM audit`
	var args []any
	if pipeline != "" {
		query += ` WHERE pipeline = ?`
		args = append(args, pipeline)
	}
	query += ` ORDER BY seq DESC`
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("audit trail: %w", err)
	}
	defer rows.Close()
	var out []*state.AuditEvent
	for rows.Next() {
		var e state.AuditEvent
		var at int64
		var payload, armored, fp string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Pipeline, &e.Environment, &e.RunID, &e.Release, &e.Detail,
			&payload, &armored, &fp); err != nil {
			return nil, fmt.Errorf("audit trail: %w", err)
		}
		e.At = tm(at)
		e.Signature = sigOf(payload, armored, fp)
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit trail: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// SetGroup implements state.GroupStore.
func (s *Store) SetGroup(ctx context.Context, name string, members []string) error {
	b, err := json.Marshal(members)
	if err == nil {
		_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO approver_groups (name, members) VALUES (?, ?)
ON CONFLICT (name) DO UPDATE SET members = excluded.members`), name, string(b))
	}
	if err != nil {
		return fmt.Errorf("set group %q: %w", name, err)
	}
	return nil
}

// GroupMembers implements state.GroupStore.
func (s *Store) GroupMembers(ctx context.Context, name string) ([]string, error) {
	var raw string
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT members FROM approver_groups WHERE name = ?`), name).Scan(&raw); err != nil {
		return nil, fmt.Errorf("group %q: %w", name, notFound(err))
	}
	var members []string
	if err := json.Unmarshal([]byte(raw), &members); err != nil {
		return nil, fmt.Errorf("group %q: decode members: %w", name, err)
	}
	return members, nil
}

// sigColumns splits a signature into its three columns; nil is three
// empty strings.
func sigColumns(sig *state.Signature) (payload, armored, fingerprint string) {
	if sig == nil {
		return "", "", ""
	}
	return sig.Payload, sig.Armored, sig.Fingerprint
}

// sigOf is the inverse of sigColumns.
func sigOf(payload, armored, fingerprint string) *state.Signature {
	if armored == "" {
		return nil
	}
	return &state.Signature{Payload: payload, Armored: armored, Fingerprint: fingerprint}
}
