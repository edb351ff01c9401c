package sqlstore

import (
	"context"
	"fmt"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// PutOutputs implements state.OutputStore.
func (s *Store) PutOutputs(ctx context.Context, o *state.Outputs) error {
	var exists int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM runs WHERE id = ?`), o.RunID).Scan(&exists); err != nil {
		return fmt.Errorf("put outputs of %q of run %q: %w", o.NodeID, o.RunID, err)
	}
	if exists == 0 {
		return fmt.Errorf("put outputs of %q of run %q: run %w", o.NodeID, o.RunID, state.ErrNotFound)
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO step_outputs (run_id, node_id, data) VALUES (?, ?, ?)
ON CONFLICT (run_id, node_id) DO UPDATE SET data = excluded.data`), o.RunID, o.NodeID, o.Data)
	if err := s.classify(err, state.ErrConflict); err != nil {
		return fmt.Errorf("put outputs of %q of run %q: %w", o.NodeID, o.RunID, err)
	}
	return nil
}

// Outputs implements state.OutputStore.
func (s *Store) Outputs(ctx context.Context, runID string) ([]*state.Outputs, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run_id, node_id, data FROM step_outputs WHERE run_id = ? ORDER BY node_id`), runID)
	if err != nil {
		return nil, fmt.Errorf("outputs of run %q: %w", runID, err)
	}
	defer rows.Close()
	var out []*state.Outputs
	for rows.Next() {
		var o state.Outputs
		if err := rows.Scan(&o.RunID, &o.NodeID, &o.Data); err != nil {
			return nil, fmt.Errorf("outputs of run %q: %w", runID, err)
		}
		out = append(out, &o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outputs of run %q: %w", runID, err)
	}
	return out, nil
}
