package engine_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"
)

const gated = `
pipeline "svc" {
  version = "2.0.${git.commit_count}"
  image   = "busybox"
}
build "app" {
  step "compile" { run = "mkdir -p dist && echo ok > dist/app" }
}
package "app" {
  artifact "bin" { path = "dist/app" }
}
environment "production" {
  branches = [%s]
  %s
  step "rollout" { run = "echo rolled ${release.version}" }
}
`

func gatedConfig(branches, gate string) string {
	return strings.Replace(strings.Replace(gated, "%s", branches, 1), "%s", gate, 1)
}

const goLive = `gate "go-live" { approvers = ["carol@example.com"] }`

func TestTrustedRulesApply(t *testing.T) {
	tests := []struct {
		name          string
		trusted, head string
		wantCode      int
		wantErr       error
		wantWarning   string
	}{
		{"branch removes the gate", gatedConfig(`"main", "feature"`, goLive), gatedConfig(`"main", "feature"`, ""),
			3, engine.ErrGateWaiting, "gate go-live"},
		{"branch widens its branches", gatedConfig(`"main"`, goLive), gatedConfig(`"main", "feature"`, ""),
			1, rules.ErrBranchNotAllowed, "branches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("alice@example.com", "trusted rules", map[string]string{"pipeline.hcl": tt.trusted})
			r.git("checkout", "-q", "-b", "feature")
			r.commit("alice@example.com", "loosen the rules", map[string]string{"pipeline.hcl": tt.head})
			f := newFixture(t, r)
			var warnings []string
			_, err := f.eng.Run(ctx(t), engine.RunRequest{Config: r.load(), Started: func(i engine.RunInfo) { warnings = i.Warnings }})
			if exitCode(err) != tt.wantCode || !errors.Is(err, tt.wantErr) {
				t.Fatalf("Run on feature = %v (code %d); want %v with code %d", err, exitCode(err), tt.wantErr, tt.wantCode)
			}
			if !strings.Contains(strings.Join(warnings, "\n"), tt.wantWarning) {
				t.Errorf("warnings = %q; want one about %s", warnings, tt.wantWarning)
			}
		})
	}
}

func TestApprovalBoundToDigest(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": gatedConfig(`"main"`, goLive)})
	f := newFixture(t, r)
	c := ctx(t)
	res, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if exitCode(err) != 3 {
		t.Fatalf("Run = %v; want code 3", err)
	}
	// An approval given for another release digest (a release that
	// changed after the approval) must not count.
	if err := f.store.AddApproval(c, &state.Approval{RunID: res.Run.ID, Gate: "production/go-live", By: "carol@example.com",
		Decision: "approve", ReleaseDigest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Resume(c, engine.ResumeRequest{RunID: res.Run.ID}); exitCode(err) != 3 {
		t.Fatalf("Resume with an approval for another digest = %v (code %d); want still waiting (3)", err, exitCode(err))
	}
	d, err := f.eng.Approve(c, engine.Decision{RunID: res.Run.ID, Gate: "go-live", By: "carol@example.com"})
	if err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if d.Approval.ReleaseDigest != res.Release.Digest {
		t.Errorf("approval digest = %s; want the release's %s", d.Approval.ReleaseDigest, res.Release.Digest)
	}
	if _, err := f.eng.Resume(c, engine.ResumeRequest{RunID: res.Run.ID}); err != nil {
		t.Fatalf("Resume after a valid approval: %v", err)
	}
}

func TestRejectAndExpire(t *testing.T) {
	r := newRepo(t, nil)
	cfg := gatedConfig(`"main"`, `gate "go-live" {
    approvers = ["carol@example.com"]
    timeout   = "1h"
  }`)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": cfg})
	f := newFixture(t, r)
	c := ctx(t)
	res, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if exitCode(err) != 3 {
		t.Fatalf("Run = %v; want code 3", err)
	}
	if _, err := f.eng.Reject(c, engine.Decision{RunID: res.Run.ID, Gate: "go-live", By: "carol@example.com", Comment: "not today"}); err != nil {
		t.Fatalf("Reject: %v", err)
	}
	run, _ := f.store.GetRun(c, res.Run.ID)
	if run.Status != state.StatusRejected {
		t.Errorf("rejected run status = %s; want rejected", run.Status)
	}
	if _, err := f.eng.Resume(c, engine.ResumeRequest{RunID: res.Run.ID}); !errors.Is(err, engine.ErrNotResumable) {
		t.Errorf("Resume of a rejected run = %v; want ErrNotResumable", err)
	}

	// A second commit waits too; two hours later its gate has expired.
	r.commit("alice@example.com", "two", map[string]string{"README": "2"})
	now := time.Now()
	f.eng = engine.New(engine.Options{Store: f.store, Runners: f.runners(), DefaultRunner: "local",
		ArtifactDir: f.artifacts(), Clock: func() time.Time { return now }})
	res, err = f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if exitCode(err) != 3 {
		t.Fatalf("Run of commit two = %v; want code 3", err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := f.eng.Approve(c, engine.Decision{RunID: res.Run.ID, Gate: "go-live", By: "carol@example.com"}); !errors.Is(err, engine.ErrGateNotWaiting) {
		t.Errorf("Approve after the timeout = %v; want ErrGateNotWaiting", err)
	}
	run, _ = f.store.GetRun(c, res.Run.ID)
	if run.Status != state.StatusExpired {
		t.Errorf("run status after expiry = %s; want expired", run.Status)
	}
	evs, _ := f.store.Audit(c, "svc", 0)
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "reject") || !strings.Contains(got, "expire") {
		t.Errorf("audit actions = %s; want reject and expire", got)
	}
}

func TestEnvironmentLock(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": gatedConfig(`"main"`, "")})
	f := newFixture(t, r)
	c := ctx(t)
	host := hostName(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	live := exec.Command("sleep", "30")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = live.Process.Kill(); _ = live.Wait() })

	key := state.LockKey("svc", "production")
	held := &state.Lock{Key: key, Holder: "r-other", Host: host, PID: live.Process.Pid, ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := f.store.TryLock(c, held, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if !errors.Is(err, engine.ErrLockHeld) || exitCode(err) != 1 || !strings.Contains(err.Error(), "r-other") {
		t.Fatalf("Run against a held lock = %v (code %d); want ErrLockHeld naming r-other, code 1", err, exitCode(err))
	}
	// The holder dies: the next deployment takes the lock over.
	if err := f.store.Unlock(c, key, "r-other"); err != nil {
		t.Fatal(err)
	}
	gone := &state.Lock{Key: key, Holder: "r-gone", Host: host, PID: dead.Process.Pid, ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := f.store.TryLock(c, gone, time.Now()); err != nil {
		t.Fatal(err)
	}
	r.commit("alice@example.com", "two", map[string]string{"README": "2"})
	if _, err := f.eng.Run(c, engine.RunRequest{Config: r.load()}); err != nil {
		t.Fatalf("Run after the holder died: %v", err)
	}
	if _, err := f.store.GetLock(c, key); err == nil {
		if l, _ := f.store.GetLock(c, key); l.Holder != "" {
			t.Errorf("lock after the run = %+v; want it released", l)
		}
	}
	evs, _ := f.store.Audit(c, "svc", 0)
	found := false
	for _, e := range evs {
		found = found || (e.Action == "lock_takeover" && strings.Contains(e.Detail, "r-gone"))
	}
	if !found {
		t.Errorf("audit has no lock_takeover of r-gone: %+v", evs)
	}
}

func TestRollbackTarget(t *testing.T) {
	d := func(version, status string) *state.Deployment {
		return &state.Deployment{Version: version, ReleaseID: "id-" + version, Status: status}
	}
	tests := []struct {
		name        string
		deps        []*state.Deployment // newest first
		wantCurrent string
		wantTarget  string
	}{
		{"previous success", []*state.Deployment{d("3", "succeeded"), d("2", "succeeded"), d("1", "succeeded")}, "3", "2"},
		{"skips failed", []*state.Deployment{d("4", "succeeded"), d("3", "failed"), d("2", "succeeded")}, "4", "2"},
		{"current failed", []*state.Deployment{d("4", "failed"), d("3", "succeeded")}, "4", "3"},
		{"skips same release", []*state.Deployment{d("3", "succeeded"), d("3", "succeeded"), d("2", "succeeded")}, "3", "2"},
		{"running ignored", []*state.Deployment{d("5", "running"), d("4", "succeeded"), d("3", "succeeded")}, "4", "3"},
		{"none", []*state.Deployment{d("1", "succeeded")}, "1", ""},
		{"after rollback", []*state.Deployment{d("2", "succeeded"), d("3", "succeeded"), d("2", "succeeded"), d("1", "succeeded")}, "2", "1"},
		{"second rollback", []*state.Deployment{d("1", "succeeded"), d("2", "succeeded"), d("3", "succeeded"), d("2", "succeeded"), d("1", "succeeded")}, "1", ""},
		{"promoted older release", []*state.Deployment{d("1", "succeeded"), d("2", "succeeded"), d("1", "succeeded")}, "1", ""},
		{"forward after rollback", []*state.Deployment{d("4", "succeeded"), d("2", "succeeded"), d("3", "succeeded"), d("2", "succeeded"), d("1", "succeeded")}, "4", "2"},
		{"failed rollback", []*state.Deployment{d("1", "failed"), d("2", "succeeded"), d("3", "succeeded"), d("2", "succeeded"), d("1", "succeeded")}, "1", "2"},
		{"only failed before", []*state.Deployment{d("2", "succeeded"), d("1", "failed")}, "2", ""},
		{"empty", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, target, err := engine.RollbackTarget(tt.deps)
			gotCur, gotTarget := "", ""
			if cur != nil {
				gotCur = cur.Version
			}
			if target != nil {
				gotTarget = target.Version
			}
			if gotCur != tt.wantCurrent || gotTarget != tt.wantTarget {
				t.Errorf("RollbackTarget(%s) = %q, %q; want %q, %q", tt.name, gotCur, gotTarget, tt.wantCurrent, tt.wantTarget)
			}
			if (tt.wantTarget == "") != errors.Is(err, engine.ErrNoRollbackTarget) {
				t.Errorf("RollbackTarget(%s) error = %v; want ErrNoRollbackTarget only without target", tt.name, err)
			}
		})
	}
}
