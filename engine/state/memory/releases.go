package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

func copyRelease(r *state.Release) *state.Release {
	c := *r
	c.Artifacts = slices.Clone(r.Artifacts)
	c.Images = slices.Clone(r.Images)
	c.Outputs = slices.Clone(r.Outputs)
	c.CreatedAt = norm(r.CreatedAt)
	return &c
}

// CreateRelease implements state.ReleaseStore.
func (s *Store) CreateRelease(_ context.Context, r *state.Release) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if r.ID == "" {
		r.ID = state.NewID()
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now().UTC()
	}
	if _, ok := s.versions[[2]string{r.Pipeline, r.Version}]; ok {
		return fmt.Errorf("create release %s %s: %w", r.Pipeline, r.Version, state.ErrReleaseExists)
	}
	if _, ok := s.releases[r.ID]; ok {
		return fmt.Errorf("create release %s %s: id %q is taken: %w", r.Pipeline, r.Version, r.ID, state.ErrReleaseExists)
	}
	s.releases[r.ID] = copyRelease(r)
	s.versions[[2]string{r.Pipeline, r.Version}] = r.ID
	return nil
}

// GetRelease implements state.ReleaseStore.
func (s *Store) GetRelease(_ context.Context, id string) (*state.Release, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	r, ok := s.releases[id]
	if !ok {
		return nil, fmt.Errorf("get release %q: %w", id, state.ErrNotFound)
	}
	return copyRelease(r), nil
}

// ReleaseByVersion implements state.ReleaseStore.
func (s *Store) ReleaseByVersion(_ context.Context, pipeline, version string) (*state.Release, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	id, ok := s.versions[[2]string{pipeline, version}]
	if !ok {
		return nil, fmt.Errorf("release %s of pipeline %q: %w", version, pipeline, state.ErrNotFound)
	}
	return copyRelease(s.releases[id]), nil
}

// ListReleases implements state.ReleaseStore.
func (s *Store) ListReleases(_ context.Context, pipeline string, limit int) ([]*state.Release, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []*state.Release
	for _, r := range s.releases {
		if r.Pipeline == pipeline {
			out = append(out, copyRelease(r))
		}
	}
	slices.SortFunc(out, func(a, b *state.Release) int { return newestFirst(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
