package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// PutOutputs implements state.OutputStore.
func (s *Store) PutOutputs(_ context.Context, o *state.Outputs) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.runs[o.RunID]; !ok {
		return fmt.Errorf("put outputs of %q of run %q: run %w", o.NodeID, o.RunID, state.ErrNotFound)
	}
	if s.outputs == nil {
		s.outputs = map[string]map[string][]byte{}
	}
	if s.outputs[o.RunID] == nil {
		s.outputs[o.RunID] = map[string][]byte{}
	}
	s.outputs[o.RunID][o.NodeID] = slices.Clone(o.Data)
	return nil
}

// Outputs implements state.OutputStore.
func (s *Store) Outputs(_ context.Context, runID string) ([]*state.Outputs, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []*state.Outputs
	for node, data := range s.outputs[runID] {
		out = append(out, &state.Outputs{RunID: runID, NodeID: node, Data: slices.Clone(data)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NodeID < out[j].NodeID })
	return out, nil
}
