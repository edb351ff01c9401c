package statetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

const lockKey = "webapp/production"

func newLock(holder string, pid int, expires time.Time) *state.Lock {
	return &state.Lock{Key: lockKey, Holder: holder, Host: "ci-" + holder, PID: pid, ExpiresAt: expires}
}

func holderOf(t *testing.T, s state.Store) string {
	t.Helper()
	l, err := s.GetLock(ctx(t), lockKey)
	if errors.Is(err, state.ErrNotFound) {
		return ""
	}
	must(t, "GetLock", err)
	return l.Holder
}

func testLocks(t *testing.T, s state.Store) {
	// Every row: set up a lock held by "a" (lease until minute 10), then act.
	tests := []struct {
		name       string
		act        func(t *testing.T) error
		wantErr    error
		wantHolder string
	}{
		{"other holder waits", func(t *testing.T) error {
			cur, err := s.TryLock(ctx(t), newLock("b", 2, at(20)), at(5))
			if cur == nil || cur.Holder != "a" || cur.PID != 1 {
				t.Errorf("TryLock(b) while a holds it returned lock %+v; want a's lock", cur)
			}
			return err
		}, state.ErrLocked, "a"},
		{"lease ends exactly now: still held", func(t *testing.T) error {
			_, err := s.TryLock(ctx(t), newLock("b", 2, at(20)), at(10))
			return err
		}, state.ErrLocked, "a"},
		{"expired lease is taken", func(t *testing.T) error {
			got, err := s.TryLock(ctx(t), newLock("b", 2, at(20)), at(11))
			if err == nil && (got.Holder != "b" || !got.AcquiredAt.Equal(at(11)) || !got.ExpiresAt.Equal(at(20))) {
				t.Errorf("TryLock(b) after expiry = %+v; want holder b acquired at %v until %v", got, at(11), at(20))
			}
			return err
		}, nil, "b"},
		{"re-entrant keeps acquisition, takes new lease", func(t *testing.T) error {
			got, err := s.TryLock(ctx(t), newLock("a", 7, at(30)), at(5))
			if err == nil && (!got.AcquiredAt.Equal(at(0)) || !got.ExpiresAt.Equal(at(30)) || got.PID != 7) {
				t.Errorf("re-entrant TryLock(a) = %+v; want acquired %v, expires %v, pid 7", got, at(0), at(30))
			}
			return err
		}, nil, "a"},
		{"unlock by someone else does nothing", func(t *testing.T) error {
			return s.Unlock(ctx(t), lockKey, "b")
		}, nil, "a"},
		{"unlock by holder frees it", func(t *testing.T) error {
			return s.Unlock(ctx(t), lockKey, "a")
		}, nil, ""},
		{"unlock twice is fine", func(t *testing.T) error {
			must(t, "Unlock", s.Unlock(ctx(t), lockKey, "a"))
			return s.Unlock(ctx(t), lockKey, "a")
		}, nil, ""},
		{"free lock after unlock is taken", func(t *testing.T) error {
			must(t, "Unlock", s.Unlock(ctx(t), lockKey, "a"))
			_, err := s.TryLock(ctx(t), newLock("b", 2, at(20)), at(5))
			return err
		}, nil, "b"},
		{"take over from a proven-dead holder", func(t *testing.T) error {
			return s.TakeOver(ctx(t), newLock("a", 1, at(10)), newLock("c", 3, at(40)))
		}, nil, "c"},
		{"take over loses when the holder changed", func(t *testing.T) error {
			must(t, "TakeOver", s.TakeOver(ctx(t), newLock("a", 1, at(10)), newLock("c", 3, at(40))))
			return s.TakeOver(ctx(t), newLock("a", 1, at(10)), newLock("d", 4, at(40)))
		}, state.ErrConflict, "c"},
		{"take over of a released lock conflicts", func(t *testing.T) error {
			must(t, "Unlock", s.Unlock(ctx(t), lockKey, "a"))
			return s.TakeOver(ctx(t), newLock("a", 1, at(10)), newLock("d", 4, at(40)))
		}, state.ErrConflict, ""},
		{"renew by holder", func(t *testing.T) error {
			must(t, "Renew", s.Renew(ctx(t), newLock("a", 1, at(50))))
			l, err := s.GetLock(ctx(t), lockKey)
			must(t, "GetLock", err)
			if !l.ExpiresAt.Equal(at(50)) {
				t.Errorf("GetLock after Renew: ExpiresAt = %v; want %v", l.ExpiresAt, at(50))
			}
			_, err = s.TryLock(ctx(t), newLock("b", 2, at(60)), at(30))
			return err
		}, state.ErrLocked, "a"},
		{"renew by someone else conflicts", func(t *testing.T) error {
			return s.Renew(ctx(t), newLock("b", 2, at(50)))
		}, state.ErrConflict, "a"},
		{"renew of a released lock conflicts", func(t *testing.T) error {
			must(t, "Unlock", s.Unlock(ctx(t), lockKey, "a"))
			return s.Renew(ctx(t), newLock("a", 1, at(50)))
		}, state.ErrConflict, ""},
		{"other keys are independent", func(t *testing.T) error {
			l := newLock("b", 2, at(20))
			l.Key = "webapp/beta"
			_, err := s.TryLock(ctx(t), l, at(5))
			must(t, "Unlock(webapp/beta)", s.Unlock(ctx(t), l.Key, "b"))
			return err
		}, nil, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			must(t, "Unlock(reset)", s.Unlock(ctx(t), lockKey, holderOf(t, s)))
			got, err := s.TryLock(ctx(t), &state.Lock{Key: lockKey, Holder: "a", Host: "ci-a", PID: 1, ExpiresAt: at(10)}, at(0))
			must(t, "TryLock(a) on a free lock", err)
			if got.Holder != "a" || !got.AcquiredAt.Equal(at(0)) {
				t.Fatalf("TryLock(a) = %+v; want holder a acquired at %v", got, at(0))
			}
			err = tt.act(t)
			if tt.wantErr == nil && err != nil {
				t.Errorf("%s: error = %v; want nil", tt.name, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: error = %v; want an error wrapping %v", tt.name, err, tt.wantErr)
			}
			if h := holderOf(t, s); h != tt.wantHolder {
				t.Errorf("%s: holder afterwards = %q; want %q", tt.name, h, tt.wantHolder)
			}
		})
	}

	t.Run("no lease never expires", func(t *testing.T) {
		must(t, "Unlock(reset)", s.Unlock(ctx(t), lockKey, holderOf(t, s)))
		_, err := s.TryLock(ctx(t), newLock("a", 1, time.Time{}), at(0))
		must(t, "TryLock(a, no lease)", err)
		_, err = s.TryLock(ctx(t), newLock("b", 2, at(20)), at(100000))
		wantErr(t, "TryLock(b) against a lock without lease", err, state.ErrLocked)
	})
	t.Run("misuse", func(t *testing.T) {
		if _, err := s.TryLock(ctx(t), &state.Lock{Key: lockKey}, at(0)); err == nil {
			t.Errorf("TryLock(no holder) = nil error; want an error")
		}
		other := newLock("b", 2, at(20))
		other.Key = "webapp/beta"
		if err := s.TakeOver(ctx(t), newLock("a", 1, at(10)), other); err == nil {
			t.Errorf("TakeOver(different keys) = nil error; want an error")
		}
	})
}

// LockContention checks that TryLock and TakeOver are atomic: goroutines
// spread over stores (which may be separate connections to one database,
// standing in for separate processes) race for one key, and exactly one
// wins each race. Passing the same store several times is allowed.
func LockContention(t *testing.T, stores ...state.Store) {
	const n = 16
	key := fmt.Sprintf("contention/%d", time.Now().UnixNano())
	now := time.Now()
	race := func(name string, try func(i int, s state.Store) error) string {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { errs[i] = try(i, stores[i%len(stores)]) })
		}
		wg.Wait()
		winner := ""
		for i, err := range errs {
			switch {
			case err == nil && winner != "":
				t.Errorf("%s: both %s and holder-%d won; want exactly one winner", name, winner, i)
			case err == nil:
				winner = fmt.Sprintf("holder-%d", i)
			case !errors.Is(err, state.ErrLocked) && !errors.Is(err, state.ErrConflict):
				t.Errorf("%s: holder-%d error = %v; want nil, ErrLocked or ErrConflict", name, i, err)
			}
		}
		if winner == "" {
			t.Fatalf("%s: no goroutine won; want exactly one", name)
		}
		l, err := stores[0].GetLock(ctx(t), key)
		must(t, "GetLock", err)
		if l.Holder != winner {
			t.Errorf("%s: GetLock holder = %q; want the winner %q", name, l.Holder, winner)
		}
		return winner
	}
	lock := func(i int, expires time.Time) *state.Lock {
		return &state.Lock{Key: key, Holder: fmt.Sprintf("holder-%d", i), Host: "host", PID: 1000 + i, ExpiresAt: expires}
	}

	first := race("TryLock on a free key", func(i int, s state.Store) error {
		cur, err := s.TryLock(ctx(t), lock(i, now.Add(time.Minute)), now)
		if errors.Is(err, state.ErrLocked) && (cur == nil || cur.Holder == fmt.Sprintf("holder-%d", i)) {
			return fmt.Errorf("ErrLocked returned holder %+v; want the winner's lock", cur)
		}
		return err
	})
	race("TakeOver of one holder", func(i int, s state.Store) error {
		if fmt.Sprintf("holder-%d", i) == first {
			return state.ErrConflict // handing the lock to its own holder would let a second taker win
		}
		return s.TakeOver(ctx(t), &state.Lock{Key: key, Holder: first}, lock(i, now.Add(time.Second)))
	})
	// Every lease above ends within a minute: two minutes on, the lock is expired.
	later := now.Add(2 * time.Minute)
	race("TryLock on an expired lease", func(i int, s state.Store) error {
		_, err := s.TryLock(ctx(t), lock(i, later.Add(time.Minute)), later)
		return err
	})
}
