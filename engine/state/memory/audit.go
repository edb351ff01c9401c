package memory

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// AppendAudit implements state.AuditStore.
func (s *Store) AppendAudit(_ context.Context, e *state.AuditEvent) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	e.Seq = int64(len(s.audit)) + 1
	c := *e
	c.At = norm(e.At)
	c.Signature = copySig(e.Signature)
	s.audit = append(s.audit, &c)
	return nil
}

// Audit implements state.AuditStore.
func (s *Store) Audit(_ context.Context, pipeline string, limit int) ([]*state.AuditEvent, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []*state.AuditEvent
	for _, e := range s.audit {
		if pipeline == "" || e.Pipeline == pipeline {
			c := *e
			out = append(out, &c)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// SetGroup implements state.GroupStore.
func (s *Store) SetGroup(_ context.Context, name string, members []string) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.groups[name] = slices.Clone(members)
	return nil
}

// GroupMembers implements state.GroupStore.
func (s *Store) GroupMembers(_ context.Context, name string) ([]string, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	m, ok := s.groups[name]
	if !ok {
		return nil, fmt.Errorf("group %q: %w", name, state.ErrNotFound)
	}
	return slices.Clone(m), nil
}
