package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

func copyLock(l *state.Lock) *state.Lock {
	c := *l
	c.AcquiredAt, c.ExpiresAt = norm(l.AcquiredAt), norm(l.ExpiresAt)
	return &c
}

// TryLock implements state.LockStore.
func (s *Store) TryLock(_ context.Context, l *state.Lock, now time.Time) (*state.Lock, error) {
	if l.Key == "" || l.Holder == "" {
		return nil, fmt.Errorf("try lock: key %q and holder %q must both be set", l.Key, l.Holder)
	}
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	next := copyLock(l)
	if next.AcquiredAt.IsZero() {
		next.AcquiredAt = norm(now)
	}
	if cur, ok := s.locks[l.Key]; ok {
		switch {
		case cur.Holder == l.Holder:
			next.AcquiredAt = cur.AcquiredAt
		case !cur.Expired(now):
			return copyLock(cur), fmt.Errorf("lock %q is held by run %s on %s (pid %d): %w",
				l.Key, cur.Holder, cur.Host, cur.PID, state.ErrLocked)
		}
	}
	s.locks[l.Key] = next
	return copyLock(next), nil
}

// TakeOver implements state.LockStore.
func (s *Store) TakeOver(_ context.Context, prev, l *state.Lock) error {
	if prev.Key != l.Key || l.Holder == "" {
		return fmt.Errorf("take over lock %q: new lock key %q and holder %q must match the old key and be set", prev.Key, l.Key, l.Holder)
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cur, ok := s.locks[prev.Key]
	if !ok || cur.Holder != prev.Holder {
		return fmt.Errorf("take over lock %q from run %s: %w", prev.Key, prev.Holder, state.ErrConflict)
	}
	next := copyLock(l)
	if next.AcquiredAt.IsZero() {
		next.AcquiredAt = time.Now().UTC()
	}
	s.locks[l.Key] = next
	return nil
}

// Renew implements state.LockStore.
func (s *Store) Renew(_ context.Context, l *state.Lock) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	cur, ok := s.locks[l.Key]
	if !ok || cur.Holder != l.Holder {
		return fmt.Errorf("renew lock %q for run %s: %w", l.Key, l.Holder, state.ErrConflict)
	}
	cur.ExpiresAt = norm(l.ExpiresAt)
	return nil
}

// Unlock implements state.LockStore.
func (s *Store) Unlock(_ context.Context, key, holder string) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if cur, ok := s.locks[key]; ok && cur.Holder == holder {
		delete(s.locks, key)
	}
	return nil
}

// GetLock implements state.LockStore.
func (s *Store) GetLock(_ context.Context, key string) (*state.Lock, error) {
	if err := s.rlock(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	cur, ok := s.locks[key]
	if !ok {
		return nil, fmt.Errorf("get lock %q: %w", key, state.ErrNotFound)
	}
	return copyLock(cur), nil
}
