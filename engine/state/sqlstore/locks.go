package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// lockRetries bounds TryLock's retries when the lock it lost to is released
// before it can be read back.
const lockRetries = 5

// TryLock implements state.LockStore with one conditional upsert: the row is
// inserted when the key is free, and overwritten only when it is held by
// l.Holder or its lease ran out. The database's row locking makes the check
// and the write atomic across processes.
func (s *Store) TryLock(ctx context.Context, l *state.Lock, now time.Time) (*state.Lock, error) {
	if l.Key == "" || l.Holder == "" {
		return nil, fmt.Errorf("try lock: key %q and holder %q must both be set", l.Key, l.Holder)
	}
	acquired := l.AcquiredAt
	if acquired.IsZero() {
		acquired = now
	}
	for range lockRetries {
		res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO locks (lock_key, holder, host, pid, acquired_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (lock_key) DO UPDATE SET
	holder = excluded.holder, host = excluded.host, pid = excluded.pid, expires_at = excluded.expires_at,
	acquired_at = CASE WHEN locks.holder = excluded.holder THEN locks.acquired_at ELSE excluded.acquired_at END
WHERE locks.holder = excluded.holder OR (locks.expires_at <> 0 AND locks.expires_at < ?)`),
			l.Key, l.Holder, l.Host, l.PID, ns(acquired), ns(l.ExpiresAt), ns(now))
		if err != nil {
			return nil, fmt.Errorf("try lock %q: %w", l.Key, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("try lock %q: %w", l.Key, err)
		}
		cur, err := s.GetLock(ctx, l.Key)
		if errors.Is(err, state.ErrNotFound) {
			continue // released between the upsert and the read: try again
		}
		if err != nil {
			return nil, fmt.Errorf("try lock %q: %w", l.Key, err)
		}
		if n == 1 && cur.Holder == l.Holder {
			return cur, nil
		}
		if cur.Holder == l.Holder {
			continue // taken over and handed back in between: try again
		}
		return cur, fmt.Errorf("lock %q is held by run %s on %s (pid %d) until %s: %w",
			l.Key, cur.Holder, cur.Host, cur.PID, leaseText(cur.ExpiresAt), state.ErrLocked)
	}
	return nil, fmt.Errorf("try lock %q: the lock changed hands %d times while it was read: %w", l.Key, lockRetries, state.ErrConflict)
}

func leaseText(t time.Time) string {
	if t.IsZero() {
		return "it is released"
	}
	return t.UTC().Format(time.RFC3339)
}

// TakeOver implements state.LockStore.
func (s *Store) TakeOver(ctx context.Context, prev, l *state.Lock) error {
	if prev.Key != l.Key || l.Holder == "" {
		return fmt.Errorf("take over lock %q: new lock key %q and holder %q must match the old key and be set", prev.Key, l.Key, l.Holder)
	}
	acquired := l.AcquiredAt
	if acquired.IsZero() {
		acquired = time.Now().UTC()
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE locks SET holder = ?, host = ?, pid = ?, acquired_at = ?, expires_at = ?
WHERE lock_key = ? AND holder = ?`), l.Holder, l.Host, l.PID, ns(acquired), ns(l.ExpiresAt), prev.Key, prev.Holder)
	if err == nil {
		err = mustAffect(res, state.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("take over lock %q from run %s: %w", prev.Key, prev.Holder, err)
	}
	return nil
}

// Renew implements state.LockStore.
func (s *Store) Renew(ctx context.Context, l *state.Lock) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE locks SET expires_at = ? WHERE lock_key = ? AND holder = ?`),
		ns(l.ExpiresAt), l.Key, l.Holder)
	if err == nil {
		err = mustAffect(res, state.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("renew lock %q for run %s: %w", l.Key, l.Holder, err)
	}
	return nil
}

// Unlock implements state.LockStore.
func (s *Store) Unlock(ctx context.Context, key, holder string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM locks WHERE lock_key = ? AND holder = ?`), key, holder); err != nil {
		return fmt.Errorf("unlock %q for run %s: %w", key, holder, err)
	}
	return nil
}

// GetLock implements state.LockStore.
func (s *Store) GetLock(ctx context.Context, key string) (*state.Lock, error) {
	var l state.Lock
	var acquired, expires int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT lock_key, holder, host, pid, acquired_at, expires_at FROM locks WHERE lock_key = ?`), key).
		Scan(&l.Key, &l.Holder, &l.Host, &l.PID, &acquired, &expires)
	if err != nil {
		return nil, fmt.Errorf("get lock %q: %w", key, notFound(err))
	}
	l.AcquiredAt, l.ExpiresAt = tm(acquired), tm(expires)
	return &l, nil
}
