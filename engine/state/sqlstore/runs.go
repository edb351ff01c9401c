package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/pipeline-cd/pipeline/engine/state"
)

const runColumns = `id, pipeline, component, commit_sha, branch, author, config_digest, kind, status, reason,
	plan, options, release_id, host, pid, started_at, finished_at`

// CreateRun implements state.RunStore.
func (s *Store) CreateRun(ctx context.Context, r *state.Run) error {
	if r.ID == "" {
		r.ID = state.NewID()
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO runs (`+runColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.ID, r.Pipeline, r.Component, r.Commit, r.Branch, r.Author, r.ConfigDigest, r.Kind, r.Status, r.Reason,
		r.Plan, r.Options, r.ReleaseID, r.Host, r.PID, ns(r.StartedAt), ns(r.FinishedAt))
	if err := s.classify(err, state.ErrConflict); err != nil {
		return fmt.Errorf("create run %q: %w", r.ID, err)
	}
	return nil
}

// UpdateRun implements state.RunStore.
func (s *Store) UpdateRun(ctx context.Context, r *state.Run) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE runs
SET status = ?, reason = ?, release_id = ?, host = ?, pid = ?, finished_at = ?
WHERE id = ?`),
		r.Status, r.Reason, r.ReleaseID, r.Host, r.PID, ns(r.FinishedAt), r.ID)
	if err == nil {
		err = mustAffect(res, state.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("update run %q: %w", r.ID, err)
	}
	return nil
}

// GetRun implements state.RunStore.
func (s *Store) GetRun(ctx context.Context, id string) (*state.Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, s.q(`SELECT `+runColumns+` FROM runs WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("get run %q: %w", id, notFound(err))
	}
	return r, nil
}

// ListRuns implements state.RunStore.
func (s *Store) ListRuns(ctx context.Context, f state.RunFilter) ([]*state.Run, error) {
	var where []string
	var args []any
	if f.Pipeline != "" {
		where = append(where, "pipeline = ?")
		args = append(args, f.Pipeline)
	}
	if f.Status != "" {
		where = append(where, "status = ?")
		args = append(args, f.Status)
	}
	query := `SELECT ` + runColumns + ` FROM runs` + whereClause(where) + ` ORDER BY started_at DESC, id DESC`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []*state.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// Pipelines implements state.RunStore.
func (s *Store) Pipelines(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT DISTINCT pipeline FROM runs ORDER BY pipeline`))
	if err != nil {
		return nil, fmt.Errorf("list pipelines: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("list pipelines: %w", err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pipelines: %w", err)
	}
	return out, nil
}

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

func scanRun(sc scanner) (*state.Run, error) {
	var r state.Run
	var started, finished int64
	if err := sc.Scan(&r.ID, &r.Pipeline, &r.Component, &r.Commit, &r.Branch, &r.Author, &r.ConfigDigest,
		&r.Kind, &r.Status, &r.Reason, &r.Plan, &r.Options, &r.ReleaseID, &r.Host, &r.PID, &started, &finished); err != nil {
		return nil, err
	}
	r.StartedAt, r.FinishedAt = tm(started), tm(finished)
	return &r, nil
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// PutNode implements state.RunStore.
func (s *Store) PutNode(ctx context.Context, n *state.Node) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO nodes
	(run_id, node_id, kind, status, attempts, exit_code, reason, started_at, finished_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, node_id) DO UPDATE SET
	kind = excluded.kind, status = excluded.status, attempts = excluded.attempts,
	exit_code = excluded.exit_code, reason = excluded.reason,
	started_at = excluded.started_at, finished_at = excluded.finished_at`),
		n.RunID, n.NodeID, n.Kind, n.Status, n.Attempts, n.ExitCode, n.Reason, ns(n.StartedAt), ns(n.FinishedAt))
	if err := s.classify(err, state.ErrConflict); err != nil {
		return fmt.Errorf("put node %q of run %q: %w", n.NodeID, n.RunID, err)
	}
	return nil
}

// Nodes implements state.RunStore.
func (s *Store) Nodes(ctx context.Context, runID string) ([]*state.Node, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run_id, node_id, kind, status, attempts, exit_code, reason, started_at, finished_at
FROM nodes WHERE run_id = ? ORDER BY node_id`), runID)
	if err != nil {
		return nil, fmt.Errorf("nodes of run %q: %w", runID, err)
	}
	defer rows.Close()
	var out []*state.Node
	for rows.Next() {
		var n state.Node
		var started, finished int64
		if err := rows.Scan(&n.RunID, &n.NodeID, &n.Kind, &n.Status, &n.Attempts, &n.ExitCode, &n.Reason, &started, &finished); err != nil {
			return nil, fmt.Errorf("nodes of run %q: %w", runID, err)
		}
		n.StartedAt, n.FinishedAt = tm(started), tm(finished)
		out = append(out, &n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("nodes of run %q: %w", runID, err)
	}
	return out, nil
}
