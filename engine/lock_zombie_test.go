package engine_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// zombie starts a child process, kills it and does not reap it until the
// test ends: it stays a zombie, which signal 0 still finds.
func zombie(t *testing.T) int {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system: zombies cannot be told apart")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Wait() })
	pid := cmd.Process.Pid
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), ") Z ") {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d did not become a zombie: %s", pid, b)
		}
	}
}

// TestLockTakeoverZombie: a lock whose holder was killed but is not yet
// reaped (a zombie) is taken over at once, not after --wait-lock.
func TestLockTakeoverZombie(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": gatedConfig(`"main"`, "")})
	f := newFixture(t, r)
	c := ctx(t)
	key := state.LockKey("svc", "production")
	held := &state.Lock{Key: key, Holder: "r-zombie", Host: hostName(t), PID: zombie(t), ExpiresAt: time.Now().Add(time.Hour)}
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
