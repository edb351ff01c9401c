package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/internal/proc/proctest"
)

// TestLockTakeoverZombie: a lock whose holder was killed but is not yet
// reaped (a zombie) is taken over at once, not after --wait-lock.
func TestLockTakeoverZombie(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": gatedConfig(`"main"`, "")})
	f := newFixture(t, r)
	c := ctx(t)
	key := state.LockKey("svc", "production")
	held := &state.Lock{Key: key, Holder: "r-zombie", Host: hostName(t), PID: proctest.Zombie(t), ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := f.store.TryLock(c, held, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Run(c, engine.RunRequest{Config: r.load()}); err != nil {
		t.Fatalf("Run against the lock of a zombie (pid %d) = %v; want the lock taken over", held.PID, err)
	}
	evs, _ := f.store.Audit(c, "svc", 0)
	found := false
	for _, e := range evs {
		found = found || (e.Action == "lock_takeover" && strings.Contains(e.Detail, "r-zombie"))
	}
	if !found {
		t.Errorf("audit has no lock_takeover of r-zombie: %+v", evs)
	}
}
