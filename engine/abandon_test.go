package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
)

const staged = `
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
environment "staging" {
  step "rollout" { run = "echo rolling ${release.version}" }
}
`

// TestResumeAfterLockTakeover: run A (2.0.2) dies during its staging
// step; `deploy staging --release 2.0.1` takes the lock over, which closes
// A's deployment as abandoned (audited); resuming A then opens a new
// deployment, and 2.0.2 is live with nothing left running.
func TestResumeAfterLockTakeover(t *testing.T) {
	for _, st := range crashStores {
		t.Run(st.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": staged})
			store := st.open(t)
			t.Cleanup(func() { _ = store.Close() })
			c := ctx(t)
			live := liveEngine(t, r, store)
			if _, err := live.Run(c, engine.RunRequest{Config: r.load()}); err != nil {
				t.Fatalf("first run: %v", err)
			}

			r.commit("alice@example.com", "two", map[string]string{"README": "2"})
			var runA string
			_, _ = crashEngine(t, r, store, ".rollout").Run(c, engine.RunRequest{Config: r.load(),
				Started: func(i engine.RunInfo) { runA = i.Run.ID }})
			if runA == "" {
				t.Fatal("the crashing run did not start")
			}
			if _, err := live.Deploy(c, engine.DeployRequest{Config: r.load(), Environment: "staging", Version: "2.0.1"}); err != nil {
				t.Fatalf("Deploy 2.0.1 over the dead run's lock: %v", err)
			}
			deps, err := store.ListDeployments(c, state.DeploymentFilter{Pipeline: "svc", Environment: "staging"})
			if err != nil {
				t.Fatal(err)
			}
			var abandoned *state.Deployment
			for _, d := range deps {
				if d.RunID == runA {
					abandoned = d
				}
			}
			if abandoned == nil || abandoned.Status != state.StatusFailed || !strings.Contains(abandoned.Reason, "abandoned") || abandoned.FinishedAt.IsZero() {
				t.Fatalf("run %s's deployment after the takeover = %+v; want failed, abandoned, finished", runA, abandoned)
			}
			evs, _ := store.Audit(c, "svc", 0)
			found := false
			for _, e := range evs {
				found = found || (e.Action == "abandon" && e.RunID == runA && e.Release == "2.0.2")
			}
			if !found {
				t.Errorf("audit has no abandon of run %s's deployment of 2.0.2", runA)
			}

			if _, err := live.Resume(c, engine.ResumeRequest{RunID: runA}); err != nil {
				t.Fatalf("Resume(%s): %v", runA, err)
			}
			deps, _ = store.ListDeployments(c, state.DeploymentFilter{Pipeline: "svc", Environment: "staging"})
			var mine []string
			for _, d := range deps {
				if d.Status == state.StatusRunning {
					t.Errorf("deployment %s of %s is still running after the resume", d.ID, d.Version)
				}
				if d.RunID == runA {
					mine = append(mine, d.Status)
				}
			}
			if strings.Join(mine, ",") != "succeeded,failed" {
				t.Errorf("run %s's deployments (newest first) = %v; want a new succeeded one over the abandoned one", runA, mine)
			}
			rows, err := live.Status(c, "svc", []string{"staging"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].Live == nil || rows[0].Live.Version != "2.0.2" {
				t.Errorf("Status(staging) = %s; want 2.0.2 live", liveOf(rows))
			}
		})
	}
}

// TestStatusLiveFinishedLast: the live deployment is the successful one
// that finished last, even when it started before another one.
func TestStatusLiveFinishedLast(t *testing.T) {
	for _, st := range crashStores {
		t.Run(st.name, func(t *testing.T) {
			store := st.open(t)
			t.Cleanup(func() { _ = store.Close() })
			c := ctx(t)
			t0 := time.Date(2026, 1, 2, 22, 27, 40, 0, time.UTC)
			for _, d := range []*state.Deployment{
				{Pipeline: "svc", Environment: "staging", Version: "2.0.11", RunID: "r-a", Kind: state.DeployKindRun,
					Status: state.StatusSucceeded, StartedAt: t0, FinishedAt: t0.Add(13 * time.Second)},
				{Pipeline: "svc", Environment: "staging", Version: "2.0.10", RunID: "r-b", Kind: state.DeployKindPromote,
					Status: state.StatusSucceeded, StartedAt: t0.Add(3 * time.Second), FinishedAt: t0.Add(5 * time.Second)},
				{Pipeline: "svc", Environment: "staging", Version: "2.0.12", RunID: "r-c", Kind: state.DeployKindRun,
					Status: state.StatusFailed, StartedAt: t0.Add(20 * time.Second), FinishedAt: t0.Add(21 * time.Second)},
			} {
				if err := store.CreateDeployment(c, d); err != nil {
					t.Fatal(err)
				}
			}
			eng := engine.New(engine.Options{Store: store})
			rows, err := eng.Status(c, "svc", []string{"staging"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || rows[0].Live == nil || rows[0].Live.Version != "2.0.11" {
				t.Fatalf("Status(staging) live = %s; want 2.0.11 (finished last)", liveOf(rows))
			}
			if rows[0].Latest == nil || rows[0].Latest.Version != "2.0.12" {
				t.Errorf("Status(staging).Latest = %v; want 2.0.12", rows[0].Latest)
			}
		})
	}
}

// liveOf renders the live version of each row.
func liveOf(rows []engine.EnvStatus) string {
	var parts []string
	for _, r := range rows {
		v := "(none)"
		if r.Live != nil {
			v = r.Live.Version
		}
		parts = append(parts, r.Environment+": "+v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
