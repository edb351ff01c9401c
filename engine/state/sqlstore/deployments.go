package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pipeline-cd/pipeline/engine/state"
)

const deploymentColumns = `id, pipeline, environment, release_id, version, run_id, kind, status, reason,
	approved_by, commits, started_at, finished_at`

// CreateDeployment implements state.DeploymentStore.
func (s *Store) CreateDeployment(ctx context.Context, d *state.Deployment) error {
	if d.ID == "" {
		d.ID = state.NewID()
	}
	approved, commits, err := encodeDeploymentLists(d)
	if err == nil {
		_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO deployments (`+deploymentColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			d.ID, d.Pipeline, d.Environment, d.ReleaseID, d.Version, d.RunID, d.Kind, d.Status, d.Reason,
			approved, commits, ns(d.StartedAt), ns(d.FinishedAt))
		err = s.classify(err, state.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create deployment %q of %s to %s: %w", d.ID, d.Pipeline, d.Environment, err)
	}
	return nil
}

// UpdateDeployment implements state.DeploymentStore.
func (s *Store) UpdateDeployment(ctx context.Context, d *state.Deployment) error {
	approved, commits, err := encodeDeploymentLists(d)
	if err == nil {
		res, execErr := s.db.ExecContext(ctx, s.q(`UPDATE deployments
SET status = ?, reason = ?, approved_by = ?, commits = ?, finished_at = ?
WHERE id = ?`), d.Status, d.Reason, approved, commits, ns(d.FinishedAt), d.ID)
		err = execErr
		if err == nil {
			err = mustAffect(res, state.ErrNotFound)
		}
	}
	if err != nil {
		return fmt.Errorf("update deployment %q: %w", d.ID, err)
	}
	return nil
}

// GetDeployment implements state.DeploymentStore.
func (s *Store) GetDeployment(ctx context.Context, id string) (*state.Deployment, error) {
	d, err := scanDeployment(s.db.QueryRowContext(ctx, s.q(`SELECT `+deploymentColumns+` FROM deployments WHERE id = ?`), id))
	if err != nil {
		return nil, fmt.Errorf("get deployment %q: %w", id, notFound(err))
	}
	return d, nil
}

// ListDeployments implements state.DeploymentStore. The index on (pipeline,
// environment, started_at, id) serves the history query of one environment
// without sorting.
func (s *Store) ListDeployments(ctx context.Context, f state.DeploymentFilter) ([]*state.Deployment, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, val string }{
		{"pipeline", f.Pipeline}, {"environment", f.Environment}, {"status", f.Status}, {"release_id", f.ReleaseID},
	} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	query := `SELECT ` + deploymentColumns + ` FROM deployments` + whereClause(where) + ` ORDER BY started_at DESC, id DESC`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	defer rows.Close()
	var out []*state.Deployment
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, fmt.Errorf("list deployments: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	return out, nil
}

func scanDeployment(sc scanner) (*state.Deployment, error) {
	var d state.Deployment
	var approved, commits string
	var started, finished int64
	if err := sc.Scan(&d.ID, &d.Pipeline, &d.Environment, &d.ReleaseID, &d.Version, &d.RunID, &d.Kind, &d.Status,
		&d.Reason, &approved, &commits, &started, &finished); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(approved), &d.ApprovedBy); err != nil {
		return nil, fmt.Errorf("deployment %q: approved_by: %w", d.ID, err)
	}
	if err := json.Unmarshal([]byte(commits), &d.Commits); err != nil {
		return nil, fmt.Errorf("deployment %q: commits: %w", d.ID, err)
	}
	d.StartedAt, d.FinishedAt = tm(started), tm(finished)
	return &d, nil
}

// encodeDeploymentLists encodes the list fields as JSON arrays.
func encodeDeploymentLists(d *state.Deployment) (approved, commits string, err error) {
	a, err := json.Marshal(d.ApprovedBy)
	if err != nil {
		return "", "", fmt.Errorf("encode approved_by: %w", err)
	}
	c, err := json.Marshal(d.Commits)
	if err != nil {
		return "", "", fmt.Errorf("encode commits: %w", err)
	}
	return string(a), string(c), nil
}
