package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
)

const crashy = `
pipeline "svc" {
  version = "3.0.${git.commit_count}"
  image   = "busybox"
}

build "app" {
  step "compile" {
    run = "mkdir -p dist counts && echo x >> counts/compile && cp src.txt dist/app.$$$$ && mv -f dist/app.$$$$ dist/app && truncate -s ${var.big} dist/big"
  }
}

variable "big" {
  type    = string
  default = "1K"
}

test "unit" {
  step "slow" {
    run = "echo x >> counts/slow && if [ ! -f counts/slow.started ]; then touch counts/slow.started; sleep ${var.test_sleep}; fi"
  }
}

variable "test_sleep" {
  type    = string
  default = "0"
}

variable "deploy_sleep" {
  type    = string
  default = "0"
}

package "app" {
  artifact "bin" { path = "dist/app" }
  artifact "big" { path = "dist/big" }
}

environment "internal" {
  step "rollout" {
    run = "mkdir -p $HOME/counts && echo x >> $HOME/counts/rollout && if [ ! -f $HOME/counts/rollout.started ]; then touch $HOME/counts/rollout.started; sleep ${var.deploy_sleep}; fi; mkdir -p deployed && cp ${release.artifacts.bin} deployed/internal"
  }
}
`

// kill9 starts `pipeline run`, waits for marker, kills the process with
// SIGKILL and returns the run id it printed.
func kill9(t *testing.T, r *repo, marker string, args ...string) string {
	t.Helper()
	cmd, out := r.start(nil, append([]string{"run", "--runner", "local", "--plain"}, args...)...)
	r.waitFor(marker, 30*time.Second)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return runID(t, string(b))
}

func crashed(t *testing.T, r *repo, id string) {
	t.Helper()
	runs := decode[view.Runs](t, r.must(0, nil, "runs", "--json").stdout).Runs
	for _, run := range runs {
		if run.ID == id {
			if run.Status != "crashed" {
				t.Errorf("killed run %s shows %s; want crashed", id, run.Status)
			}
			return
		}
	}
	t.Fatalf("killed run %s is not in `pipeline runs`", id)
}

func TestKillDuringStep(t *testing.T) {
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": crashy, "src.txt": "good\n"})
	id := kill9(t, r, "counts/slow.started", "-var", "test_sleep=30")
	crashed(t, r, id)
	r.must(0, nil, "resume", id, "--runner", "local", "--plain")
	if c, s := r.count("compile"), r.count("slow"); c != 1 || s != 2 {
		t.Errorf("after kill and resume compile ran %d times, slow %d; want 1 and 2 (only the killed step runs again)", c, s)
	}
	rels := decode[view.Releases](t, r.must(0, nil, "releases", "--json").stdout).Releases
	if len(rels) != 1 || rels[0].RunID != id {
		t.Errorf("releases = %+v; want one, created by run %s", rels, id)
	}
}

func TestKillDuringReleaseCreation(t *testing.T) {
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": crashy, "src.txt": "good\n"})
	// A big artifact makes the copy into the artifact store take long
	// enough to kill the process in the middle of it.
	id := kill9(t, r, ".pipeline/artifacts/tmp/blob-*", "-var", "big=400M")
	if rels := decode[view.Releases](t, r.must(0, nil, "releases", "--json").stdout).Releases; len(rels) != 0 {
		t.Fatalf("a release exists after a kill during release creation: %+v", rels)
	}
	crashed(t, r, id)
	// No -var here: a run resumes with the variables it started with
	// (resume refuses -var), so big=400M comes from the killed run.
	r.must(0, nil, "resume", id, "--runner", "local", "--plain")
	rels := decode[view.Releases](t, r.must(0, nil, "releases", "--json").stdout).Releases
	if len(rels) != 1 || len(rels[0].Artifacts) != 2 {
		t.Fatalf("releases after resume = %+v; want one with two artifacts", rels)
	}
	for _, a := range rels[0].Artifacts {
		if a.Name == "big" && a.Size != 400<<20 {
			t.Errorf("artifact big after resume is %d bytes; want %d (big=400M, as the killed run built it)", a.Size, 400<<20)
		}
	}
	for _, a := range rels[0].Artifacts {
		p := filepath.Join(r.dir, ".pipeline", "artifacts", "sha256", a.SHA256[:2], a.SHA256)
		if st, err := os.Stat(p); err != nil || st.Size() != a.Size {
			t.Errorf("artifact %s blob %s: %v; want %d bytes", a.Name, p, err, a.Size)
		}
	}
	if c := r.count("compile"); c != 1 {
		t.Errorf("compile ran %d times; want 1 (it had succeeded before the kill)", c)
	}
	res := r.must(0, nil, "gc")
	if !strings.Contains(res.stdout, "1 partial artifact file\n") {
		t.Errorf("gc output %q; want the killed writer's partial blob removed", res.stdout)
	}
}

func TestKillWhileHoldingLock(t *testing.T) {
	r := newRepo(t)
	one := r.commit("one", map[string]string{"pipeline.hcl": crashy, "src.txt": "good\n"})
	id := kill9(t, r, "counts/rollout.started", "-var", "deploy_sleep=30")
	crashed(t, r, id)

	// Another run deploys the same environment: the dead holder's lock is
	// taken over, not waited for.
	r.commit("two", map[string]string{"src.txt": "good 2\n"})
	start := time.Now()
	r.must(0, nil, "run", "--runner", "local", "--plain")
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the second run took %s; it should take the dead holder's lock over at once", d)
	}
	audit := r.must(0, nil, "audit").stdout
	if !strings.Contains(audit, "lock_takeover") || !strings.Contains(audit, id) {
		t.Errorf("audit does not record the takeover of %s's lock:\n%s", id, audit)
	}

	// The newer run put 3.0.2 live, so resuming the killed run of 3.0.1 is
	// refused as outdated (exit 1) before it deploys: a resume does not put
	// an older release live over a newer one. The refusal names the live
	// release and the way back on purpose. A run resumes from a checkout
	// of its own commit.
	r.git("checkout", "-q", one)
	res := r.must(1, nil, "resume", id, "--runner", "local", "--plain")
	if !strings.Contains(res.stderr, "a newer release is already live") || !strings.Contains(res.stderr, "3.0.2") ||
		!strings.Contains(res.stderr, "pipeline deploy internal --release 3.0.1") {
		t.Errorf("resume of the outdated run %s does not say 3.0.2 is live and how to go back:\n%s", id, res.stderr)
	}
	if c := r.count("rollout"); c != 2 {
		t.Errorf("rollout ran %d times after the refused resume; want 2 (the killed attempt and the second run)", c)
	}

	// Going back to 3.0.1 on purpose, as the refusal says, makes the
	// killed run's release live again; its resume then finishes the run
	// under the lock the takeover freed, re-running only the killed step.
	r.must(0, nil, "deploy", "internal", "--release", "3.0.1", "--runner", "local", "--plain")
	r.must(0, nil, "resume", id, "--runner", "local", "--plain")
	// compile ran once in the killed run and once in the second run:
	// neither the refused resume, the deploy of the existing release nor
	// the finishing resume builds again.
	if c := r.count("compile"); c != 2 {
		t.Errorf("compile ran %d times over two runs; want 2", c)
	}
	if c := r.count("rollout"); c != 4 {
		t.Errorf("rollout ran %d times; want 4 (killed attempt, second run, deploy --release 3.0.1, resume)", c)
	}
}

func TestConcurrentDeploys(t *testing.T) {
	r := newRepo(t)
	cfg := strings.Replace(crashy, `version = "3.0.${git.commit_count}"`, `version = "3.0.${var.n}"`, 1) + `
variable "n" {
  type = string
}
`
	r.commit("one", map[string]string{"pipeline.hcl": cfg, "src.txt": "good\n"})
	run := func(extra ...string) []result {
		var wg sync.WaitGroup
		results := make([]result, 2)
		for i := range results {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				args := append([]string{"run", "--runner", "local", "--plain", "-var", "deploy_sleep=2",
					"-var", "n=" + extra[0] + string(rune('a'+i))}, extra[1:]...)
				results[i] = r.pipeline(nil, args...)
			}(i)
		}
		wg.Wait()
		return results
	}

	res := run("1")
	codes := []int{res[0].code, res[1].code}
	sort.Ints(codes)
	if codes[0] != 0 || codes[1] != 1 {
		t.Fatalf("two concurrent runs exited %v; want one 0 and one 1\n%s\n%s", codes, res[0].stderr, res[1].stderr)
	}
	loser := res[0]
	if loser.code == 0 {
		loser = res[1]
	}
	if !strings.Contains(loser.stderr, "svc/internal is being deployed by run") {
		t.Errorf("the losing run's error does not name the lock holder:\n%s\n%s", loser.stdout, loser.stderr)
	}

	// With --wait-lock both deploy, one after the other.
	res = run("2", "--wait-lock", "60s")
	if res[0].code != 0 || res[1].code != 0 {
		t.Fatalf("two runs with --wait-lock exited %d and %d; want both 0\n%s\n%s", res[0].code, res[1].code, res[0].stderr, res[1].stderr)
	}
	h := decode[view.History](t, r.must(0, nil, "history", "--env", "internal", "--json", "-var", "n=x").stdout)
	var ok []*view.Deployment
	for _, d := range h.Deployments {
		if d.Status == state.StatusSucceeded && strings.HasPrefix(d.Version, "3.0.2") {
			ok = append(ok, d)
		}
	}
	if len(ok) != 2 {
		t.Fatalf("succeeded --wait-lock deployments = %d; want 2", len(ok))
	}
	first, second := ok[1], ok[0]
	if first.FinishedAt == nil || second.StartedAt == nil || second.StartedAt.Before(*first.FinishedAt) {
		t.Errorf("deployments overlap: %s ran %v..%v and %s started at %v", first.Version, first.StartedAt, first.FinishedAt, second.Version, second.StartedAt)
	}
}

// heldDeploy deploys prod with a rollout step whose first two attempts (the
// killed one and the resumed one) hold until counts/hold is removed. The
// rollout counts in $HOME/counts (HOME is the repository in these tests):
// a deploy or rollback runs it in a checkout of the release's commit.
const heldDeploy = `
pipeline "svc" {
  version = "3.0.${git.commit_count}"
  image   = "busybox"
}

build "app" {
  step "compile" {
    run = "mkdir -p counts dist && echo x >> counts/compile && echo app > dist/app"
  }
}

package "app" {
  artifact "bin" { path = "dist/app" }
}

environment "prod" {
  %s
  step "rollout" {
    run = "echo x >> $HOME/counts/rollout && n=$(wc -l < $HOME/counts/rollout | tr -d ' ') && touch $HOME/counts/rollout.$n && if [ $n -le 2 ]; then i=0; while [ -f $HOME/counts/hold ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; fi; echo deployed"
  }
}
`

// TestKillDuringDeployThenResume kills `pipeline` during an environment
// step and resumes the run: the resumed step must run under the
// environment lock (a concurrent deployment of prod is refused), and once
// it succeeds the deployment record is succeeded, the lock is free and the
// release is live.
func TestKillDuringDeployThenResume(t *testing.T) {
	for _, tc := range []struct {
		name, gate string
	}{
		{"no gate", ""},
		{"gate", `gate "go-live" { approvers = ["carol@example.com"] }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t)
			r.commit("one", map[string]string{"pipeline.hcl": fmt.Sprintf(heldDeploy, tc.gate)})
			r.write(map[string]string{"counts/hold": ""})
			t.Cleanup(func() { _ = os.Remove(filepath.Join(r.dir, "counts", "hold")) })
			var id string
			if tc.gate == "" {
				id = kill9(t, r, "counts/rollout.1")
			} else {
				id = runID(t, r.must(3, nil, "run", "--runner", "local", "--plain").stdout)
				r.must(0, nil, "approve", id, "go-live", "--as", "carol@example.com")
				cmd, _ := r.start(nil, "resume", id, "--runner", "local", "--plain")
				r.waitFor("counts/rollout.1", 30*time.Second)
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				_ = cmd.Wait()
			}
			crashed(t, r, id)

			cmd, out := r.start(nil, "resume", id, "--runner", "local", "--plain")
			r.waitFor("counts/rollout.2", 30*time.Second)
			// The probe is a promotion of the same release: a rollback --to
			// 3.0.1 is refused (exit 2) before the lock, since 3.0.1 was
			// never live in prod. With a gate the promotion first stops at
			// it (exit 3); approved, its resume reaches the lock.
			probeArgs := []string{"deploy", "prod", "--release", "3.0.1", "--runner", "local", "--plain"}
			if tc.gate != "" {
				probeID := runID(t, r.must(3, nil, probeArgs...).stdout)
				r.must(0, nil, "approve", probeID, "go-live", "--as", "carol@example.com")
				probeArgs = []string{"resume", probeID, "--runner", "local", "--plain"}
			}
			probe := r.pipeline(nil, probeArgs...)
			if probe.code != 1 || !strings.Contains(probe.stderr, "svc/prod is being deployed by run "+id) {
				t.Errorf("pipeline %s while the resumed run deploys prod exited %d; want 1, refused by the lock of run %s\nstdout:\n%s\nstderr:\n%s",
					strings.Join(probeArgs, " "), probe.code, id, probe.stdout, probe.stderr)
			}
			if err := os.Remove(filepath.Join(r.dir, "counts", "hold")); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			b, _ := os.ReadFile(out)
			if err != nil || !strings.Contains(string(b), "deployment of 3.0.1 to prod: succeeded") {
				t.Fatalf("resume %s: %v; want exit 0 and the prod deployment succeeded\n%s", id, err, b)
			}

			h := decode[view.History](t, r.must(0, nil, "history", "--env", "prod", "--json").stdout)
			if len(h.Deployments) != 1 || h.Deployments[0].RunID != id || h.Deployments[0].Status != state.StatusSucceeded {
				t.Errorf("history of prod = %s; want one succeeded deployment by run %s", deploymentsOf(h.Deployments), id)
			}
			st := decode[view.Status](t, r.must(0, nil, "status", "--json").stdout)
			if len(st.Pipelines) != 1 || len(st.Pipelines[0].Environments) != 1 || st.Pipelines[0].Environments[0].Live == nil ||
				st.Pipelines[0].Environments[0].Live.Version != "3.0.1" {
				t.Errorf("status = %+v; want 3.0.1 live in prod", st.Pipelines)
			}

			// The lock is free: the next deployment takes it without a
			// takeover (a redeploy of the live release; a rollback to it is
			// refused: it is already live).
			redeploy := []string{"deploy", "prod", "--release", "3.0.1", "--runner", "local", "--plain"}
			if tc.gate == "" {
				r.must(0, nil, redeploy...)
			} else {
				next := r.must(3, nil, redeploy...)
				nextID := runID(t, next.stdout)
				r.must(0, nil, "approve", nextID, "go-live", "--as", "carol@example.com")
				r.must(0, nil, "resume", nextID, "--runner", "local", "--plain")
			}
			if audit := r.must(0, nil, "audit").stdout; strings.Contains(audit, "lock_takeover") {
				t.Errorf("audit records a lock takeover; the resumed run should have released the lock:\n%s", audit)
			}
		})
	}
}

func deploymentsOf(ds []*view.Deployment) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, d.Version+" "+d.Status+" by "+d.RunID)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
