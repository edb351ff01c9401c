package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/pipeline-cd/pipeline/engine/state"
)

func copyDeployment(d *state.Deployment) *state.Deployment {
	c := *d
	c.ApprovedBy = slices.Clone(d.ApprovedBy)
	c.Commits = slices.Clone(d.Commits)
	c.StartedAt, c.FinishedAt = norm(d.StartedAt), norm(d.FinishedAt)
	return &c
}

// CreateDeployment implements state.DeploymentStore.
func (s *Store) CreateDeployment(_ context.Context, d *state.Deployment) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if d.ID == "" {
		d.ID = state.NewID()
	}
	if _, ok := s.deployments[d.ID]; ok {
		return fmt.Errorf("create deployment %q of %s to %s: the id is taken: %w", d.ID, d.Pipeline, d.Environment, state.ErrConflict)
	}
	s.deployments[d.ID] = copyDeployment(d)
	return nil
}

// UpdateDeployment implements state.DeploymentStore.
func (s *Store) UpdateDeployment(_ context.Context, d *state.Deployment) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cur, ok := s.deployments[d.ID]
	if !ok {
		return fmt.Errorf("update deployment %q: %w", d.ID, state.ErrNotFound)
	}
	cur.Status, cur.Reason, cur.FinishedAt = d.Status, d.Reason, norm(d.FinishedAt)
	cur.ApprovedBy, cur.Commits = slices.Clone(d.ApprovedBy), slices.Clone(d.Commits)
	return nil
}

// GetDeployment implements state.DeploymentStore.
func (s *Store) GetDeployment(_ context.Context, id string) (*state.Deployment, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	d, ok := s.deployments[id]
	if !ok {
		return nil, fmt.Errorf("get deployment %q: %w", id, state.ErrNotFound)
	}
	return copyDeployment(d), nil
}

// ListDeployments implements state.DeploymentStore.
func (s *Store) ListDeployments(_ context.Context, f state.DeploymentFilter) ([]*state.Deployment, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []*state.Deployment
	for _, d := range s.deployments {
		if (f.Pipeline == "" || d.Pipeline == f.Pipeline) && (f.Environment == "" || d.Environment == f.Environment) &&
			(f.Status == "" || d.Status == f.Status) && (f.ReleaseID == "" || d.ReleaseID == f.ReleaseID) {
			out = append(out, copyDeployment(d))
		}
	}
	slices.SortFunc(out, func(a, b *state.Deployment) int { return newestFirst(a.StartedAt, a.ID, b.StartedAt, b.ID) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}
