package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/internal/proc"
)

// heldLock is an environment lock this process holds, renewed in the
// background until released.
type heldLock struct {
	lock *state.Lock
	stop context.CancelFunc
	done chan struct{}
}

// lock takes the per-pipeline, per-environment deployment lock for this
// run. A lock held by a process that is provably gone (same host, PID not
// alive) is taken over and audited as lock_takeover, and the deployments
// that run left running there are closed as abandoned; an expired lease is
// taken by TryLock itself. Otherwise lock waits up to s.waitLock, then
// fails with ErrLockHeld naming the holder.
func (s *session) lock(ctx context.Context, env string) error {
	s.mu.Lock()
	_, held := s.locks[env]
	s.mu.Unlock()
	if held {
		return nil
	}
	e := s.e
	key := state.LockKey(s.run.Pipeline, env)
	deadline := e.now().Add(s.waitLock)
	for {
		mine := &state.Lock{Key: key, Holder: s.run.ID, Host: e.opts.Host, PID: e.opts.PID, ExpiresAt: e.now().Add(e.opts.Lease)}
		prev, _ := e.store.GetLock(ctx, key)
		got, err := e.store.TryLock(ctx, mine, e.now())
		if err == nil {
			if prev != nil && prev.Holder != s.run.ID && prev.Holder != "" {
				s.audit(ctx, "lock_takeover", env, fmt.Sprintf("took over the lock of run %s (pid %d on %s): its lease ran out at %s",
					prev.Holder, prev.PID, prev.Host, prev.ExpiresAt.Format(time.RFC3339)))
				if e.holderGone(prev) {
					s.abandonDeployments(ctx, env, prev)
				}
			}
			s.hold(env, got)
			return nil
		}
		if !errors.Is(err, state.ErrLocked) {
			return fmt.Errorf("taking the lock of %s: %w", key, err)
		}
		if got != nil && e.holderGone(got) {
			if terr := e.store.TakeOver(ctx, got, mine); terr == nil {
				s.audit(ctx, "lock_takeover", env, fmt.Sprintf("took over the lock of run %s: its process %d on %s is gone",
					got.Holder, got.PID, got.Host))
				s.abandonDeployments(ctx, env, got)
				s.hold(env, mine)
				return nil
			}
			continue
		}
		if !e.now().Before(deadline) {
			return fmt.Errorf("%w: %s is being deployed by run %s (pid %d on %s) since %s; wait for it, or pass --wait-lock DURATION",
				ErrLockHeld, key, got.Holder, got.PID, got.Host, got.AcquiredAt.Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(e.opts.PollInterval):
		}
	}
}

// holderGone reports whether a lock's holding process is provably gone:
// on this host with a PID that is not alive (a zombie counts as gone).
func (e *Engine) holderGone(l *state.Lock) bool {
	return l.Host == e.opts.Host && l.PID > 0 && !proc.Alive(l.PID)
}

// hold records the lock and renews its lease every third of the lease.
func (s *session) hold(env string, l *state.Lock) {
	ctx, cancel := context.WithCancel(context.Background())
	h := &heldLock{lock: l, stop: cancel, done: make(chan struct{})}
	s.mu.Lock()
	s.locks[env] = h
	s.mu.Unlock()
	lease := s.e.opts.Lease
	go func() {
		defer close(h.done)
		t := time.NewTicker(lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				renewed := *l
				renewed.ExpiresAt = s.e.now().Add(lease)
				if err := s.e.store.Renew(ctx, &renewed); err != nil && ctx.Err() == nil {
					s.e.logger.Warn("renewing the environment lock", "environment", env, "error", err)
				}
			}
		}
	}()
}

// unlock releases the lock of env if this session holds it.
func (s *session) unlock(ctx context.Context, env string) {
	s.mu.Lock()
	h := s.locks[env]
	delete(s.locks, env)
	s.mu.Unlock()
	if h == nil {
		return
	}
	h.stop()
	<-h.done
	if err := s.e.store.Unlock(ctx, h.lock.Key, h.lock.Holder); err != nil {
		s.e.logger.Warn("releasing the environment lock", "environment", env, "error", err)
	}
}

// releaseLocks releases every lock the session still holds.
func (s *session) releaseLocks(ctx context.Context) {
	s.mu.Lock()
	envs := make([]string, 0, len(s.locks))
	for env := range s.locks {
		envs = append(envs, env)
	}
	s.mu.Unlock()
	for _, env := range envs {
		s.unlock(ctx, env)
	}
}
