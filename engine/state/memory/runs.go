package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pipeline-cd/pipeline/engine/state"
)

func copyRun(r *state.Run) *state.Run {
	c := *r
	c.Plan, c.Options = cloneBytes(r.Plan), cloneBytes(r.Options)
	c.StartedAt, c.FinishedAt = norm(r.StartedAt), norm(r.FinishedAt)
	return &c
}

// CreateRun implements state.RunStore.
func (s *Store) CreateRun(_ context.Context, r *state.Run) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if r.ID == "" {
		r.ID = state.NewID()
	}
	if _, ok := s.runs[r.ID]; ok {
		return fmt.Errorf("create run %q: a run with this id exists: %w", r.ID, state.ErrConflict)
	}
	s.runs[r.ID] = copyRun(r)
	return nil
}

// UpdateRun implements state.RunStore.
func (s *Store) UpdateRun(_ context.Context, r *state.Run) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cur, ok := s.runs[r.ID]
	if !ok {
		return fmt.Errorf("update run %q: %w", r.ID, state.ErrNotFound)
	}
	cur.Status, cur.Reason, cur.ReleaseID = r.Status, r.Reason, r.ReleaseID
	cur.Host, cur.PID, cur.FinishedAt = r.Host, r.PID, norm(r.FinishedAt)
	return nil
}

// GetRun implements state.RunStore.
func (s *Store) GetRun(_ context.Context, id string) (*state.Run, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	r, ok := s.runs[id]
	if !ok {
		return nil, fmt.Errorf("get run %q: %w", id, state.ErrNotFound)
	}
	return copyRun(r), nil
}

// ListRuns implements state.RunStore.
func (s *Store) ListRuns(_ context.Context, f state.RunFilter) ([]*state.Run, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []*state.Run
	for _, r := range s.runs {
		if (f.Pipeline == "" || r.Pipeline == f.Pipeline) && (f.Status == "" || r.Status == f.Status) {
			out = append(out, copyRun(r))
		}
	}
	slices.SortFunc(out, func(a, b *state.Run) int { return newestFirst(a.StartedAt, a.ID, b.StartedAt, b.ID) })
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// Pipelines implements state.RunStore.
func (s *Store) Pipelines(_ context.Context) ([]string, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	seen := map[string]bool{}
	var out []string
	for _, r := range s.runs {
		if !seen[r.Pipeline] {
			seen[r.Pipeline] = true
			out = append(out, r.Pipeline)
		}
	}
	slices.Sort(out)
	return out, nil
}

// PutNode implements state.RunStore.
func (s *Store) PutNode(_ context.Context, n *state.Node) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.runs[n.RunID]; !ok {
		return fmt.Errorf("put node %q of run %q: run %w", n.NodeID, n.RunID, state.ErrNotFound)
	}
	c := *n
	c.StartedAt, c.FinishedAt = norm(n.StartedAt), norm(n.FinishedAt)
	if s.nodes[n.RunID] == nil {
		s.nodes[n.RunID] = map[string]*state.Node{}
	}
	s.nodes[n.RunID][n.NodeID] = &c
	return nil
}

// Nodes implements state.RunStore.
func (s *Store) Nodes(_ context.Context, runID string) ([]*state.Node, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []*state.Node
	for _, n := range s.nodes[runID] {
		c := *n
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *state.Node) int { return strings.Compare(a.NodeID, b.NodeID) })
	return out, nil
}

// AppendLogs implements state.RunStore. It checks every line before it
// stores any, so a rejected call stores nothing.
func (s *Store) AppendLogs(_ context.Context, lines []state.LogLine) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	batch := map[logKey]bool{}
	for _, l := range lines {
		if _, ok := s.runs[l.RunID]; !ok {
			return fmt.Errorf("append %d log lines to run %q: run %w", len(lines), l.RunID, state.ErrNotFound)
		}
		k := logKey{l.RunID, l.NodeID, l.Attempt, l.Seq}
		if s.logKeys[k] || batch[k] {
			return fmt.Errorf("append %d log lines to run %q: line %d of attempt %d of %q is already stored: %w",
				len(lines), l.RunID, l.Seq, l.Attempt, l.NodeID, state.ErrConflict)
		}
		batch[k] = true
	}
	for _, l := range lines {
		l.Time = norm(l.Time)
		s.logs[l.RunID] = append(s.logs[l.RunID], l)
		s.logKeys[logKey{l.RunID, l.NodeID, l.Attempt, l.Seq}] = true
	}
	return nil
}

// Logs implements state.RunStore.
func (s *Store) Logs(_ context.Context, runID, nodeID string) ([]state.LogLine, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []state.LogLine
	for _, l := range s.logs[runID] {
		if nodeID == "" || l.NodeID == nodeID {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b state.LogLine) int {
		if nodeID == "" {
			if c := a.Time.Compare(b.Time); c != 0 {
				return c
			}
			if c := strings.Compare(a.NodeID, b.NodeID); c != 0 {
				return c
			}
		}
		if a.Attempt != b.Attempt {
			return a.Attempt - b.Attempt
		}
		return cmpInt64(a.Seq, b.Seq)
	})
	return out, nil
}

// StreamLogs implements state.RunStore.
func (s *Store) StreamLogs(ctx context.Context, runID, nodeID string, fn func(state.LogLine) error) error {
	lines, err := s.Logs(ctx, runID, nodeID)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if err := fn(l); err != nil {
			return err
		}
	}
	return nil
}

// LogAttempts implements state.RunStore.
func (s *Store) LogAttempts(_ context.Context, runID string) (map[string][]int, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	seen := map[string]map[int]bool{}
	for _, l := range s.logs[runID] {
		if seen[l.NodeID] == nil {
			seen[l.NodeID] = map[int]bool{}
		}
		seen[l.NodeID][l.Attempt] = true
	}
	out := make(map[string][]int, len(seen))
	for node, attempts := range seen {
		for a := range attempts {
			out[node] = append(out[node], a)
		}
		slices.Sort(out[node])
	}
	return out, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
