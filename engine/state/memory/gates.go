package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

func copyGate(g *state.Gate) *state.Gate {
	c := *g
	c.WaitingSince, c.ExpiresAt, c.DecidedAt = norm(g.WaitingSince), norm(g.ExpiresAt), norm(g.DecidedAt)
	return &c
}

// PutGate implements state.GateStore.
func (s *Store) PutGate(_ context.Context, g *state.Gate) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.runs[g.RunID]; !ok {
		return fmt.Errorf("put gate %q of run %q: run %w", g.Name, g.RunID, state.ErrNotFound)
	}
	s.gates[[2]string{g.RunID, g.Name}] = copyGate(g)
	return nil
}

// GetGate implements state.GateStore.
func (s *Store) GetGate(_ context.Context, runID, name string) (*state.Gate, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	g, ok := s.gates[[2]string{runID, name}]
	if !ok {
		return nil, fmt.Errorf("get gate %q of run %q: %w", name, runID, state.ErrNotFound)
	}
	return copyGate(g), nil
}

// WaitingGates implements state.GateStore.
func (s *Store) WaitingGates(_ context.Context, pipeline string) ([]*state.Gate, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []*state.Gate
	for _, g := range s.gates {
		if g.Status == state.StatusWaiting && (pipeline == "" || g.Pipeline == pipeline) {
			out = append(out, copyGate(g))
		}
	}
	slices.SortFunc(out, func(a, b *state.Gate) int {
		if c := a.WaitingSince.Compare(b.WaitingSince); c != 0 {
			return c
		}
		if c := strings.Compare(a.RunID, b.RunID); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// AddApproval implements state.GateStore.
func (s *Store) AddApproval(_ context.Context, a *state.Approval) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k := [2]string{a.RunID, a.Gate}
	if _, ok := s.gates[k]; !ok {
		return fmt.Errorf("add %s by %q to gate %q of run %q: gate %w", a.Decision, a.By, a.Gate, a.RunID, state.ErrNotFound)
	}
	if a.At.IsZero() {
		a.At = time.Now().UTC()
	}
	c := *a
	c.At = norm(a.At)
	c.Signature = copySig(a.Signature)
	s.approvals[k] = append(s.approvals[k], &c)
	return nil
}

// Approvals implements state.GateStore.
func (s *Store) Approvals(_ context.Context, runID, gate string) ([]*state.Approval, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []*state.Approval
	for _, a := range s.approvals[[2]string{runID, gate}] {
		c := *a
		c.Signature = copySig(a.Signature)
		out = append(out, &c)
	}
	return out, nil
}

func copySig(sig *state.Signature) *state.Signature {
	if sig == nil {
		return nil
	}
	c := *sig
	return &c
}
