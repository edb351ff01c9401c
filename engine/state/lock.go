package state

import "time"

// Expired reports whether the lock's lease ran out before now. A lock with a
// zero ExpiresAt has no lease and never expires; only Unlock or TakeOver
// frees it.
func (l *Lock) Expired(now time.Time) bool {
	return !l.ExpiresAt.IsZero() && l.ExpiresAt.Before(now)
}

// LockKey returns the key of the deployment lock for one pipeline and
// environment: "pipeline/environment".
func LockKey(pipeline, environment string) string {
	return pipeline + "/" + environment
}
