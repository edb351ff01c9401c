package statecheck_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/release"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
	"github.com/pipeline-cd/pipeline/engine/state/postgres"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/engine/statecheck"
	"github.com/pipeline-cd/pipeline/internal/pgtest"

	// Registers the -update flag that go test ./... -update passes to every package.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

// backends opens an empty store of each kind: memory, a real SQLite file and
// a schema of its own on the real PostgreSQL server.
var backends = map[string]func(t *testing.T) state.Store{
	"memory": func(t *testing.T) state.Store { return memory.New() },
	"sqlite": func(t *testing.T) state.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "state.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
	"postgres": func(t *testing.T) state.Store {
		s, err := postgres.Open(t.Context(), pgtest.FreshSchema(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
}

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// healthy records what a good run leaves: a run with a release whose
// artifact is in the CAS, an approved gate bound to it, a log, and two
// deployments one after the other.
func healthy(t *testing.T, s state.Store, cas *release.CAS) *state.Release {
	t.Helper()
	ctx := t.Context()
	src := filepath.Join(t.TempDir(), "app")
	must(t, os.WriteFile(src, []byte("binary v1"), 0o644))
	sum, size, err := cas.Put(src)
	must(t, err)
	run := &state.Run{ID: "r1", Pipeline: "web", Kind: "run", Status: state.StatusSucceeded, Host: "here", PID: 1, StartedAt: t0, FinishedAt: t0.Add(time.Minute)}
	must(t, s.CreateRun(ctx, run))
	rel := &state.Release{ID: "rel1", Pipeline: "web", Version: "1.0.1", RunID: "r1", Digest: "sha256:d1", CreatedAt: t0,
		Artifacts: []state.Artifact{{Name: "bin", Path: "dist/app", SHA256: sum, Size: size}}}
	must(t, s.CreateRelease(ctx, rel))
	run.ReleaseID = rel.ID
	must(t, s.UpdateRun(ctx, run))
	must(t, s.PutNode(ctx, &state.Node{RunID: "r1", NodeID: "build.app.compile", Kind: "step", Status: state.StatusSucceeded, Attempts: 1}))
	must(t, s.AppendLogs(ctx, []state.LogLine{{RunID: "r1", NodeID: "build.app.compile", Attempt: 1, Seq: 0, Text: "a", Time: t0},
		{RunID: "r1", NodeID: "build.app.compile", Attempt: 1, Seq: 1, Text: "b", Time: t0}}))
	must(t, s.PutNode(ctx, &state.Node{RunID: "r1", NodeID: "environment.prod.gate.go-live", Kind: "gate", Status: "approved"}))
	must(t, s.PutGate(ctx, &state.Gate{RunID: "r1", Pipeline: "web", Environment: "prod", Name: "prod/go-live", Status: "approved", ReleaseDigest: rel.Digest, WaitingSince: t0}))
	must(t, s.AddApproval(ctx, &state.Approval{RunID: "r1", Gate: "prod/go-live", By: "carol", Decision: "approve", ReleaseDigest: rel.Digest, At: t0}))
	for i, id := range []string{"d1", "d2"} {
		start := t0.Add(time.Duration(i) * 10 * time.Minute)
		must(t, s.CreateDeployment(ctx, &state.Deployment{ID: id, Pipeline: "web", Environment: "prod", ReleaseID: rel.ID, Version: rel.Version,
			RunID: "r1", Kind: state.DeployKindRun, Status: state.StatusSucceeded, StartedAt: start, FinishedAt: start.Add(time.Minute)}))
	}
	return rel
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func kinds(r *statecheck.Report) string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Kind)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// TestCheck makes each broken invariant on each backend and expects
// exactly that finding; the healthy store has none.
func TestCheck(t *testing.T) {
	breakers := []struct {
		name, want string
		breakIt    func(ctx context.Context, t *testing.T, s state.Store, cas *release.CAS, rel *state.Release)
	}{
		{"healthy", "", func(context.Context, *testing.T, state.Store, *release.CAS, *state.Release) {}},
		{"corrupted artifact", statecheck.KindArtifact, func(_ context.Context, t *testing.T, _ state.Store, cas *release.CAS, rel *state.Release) {
			p := cas.Path(rel.Artifacts[0].SHA256)
			must(t, os.Chmod(p, 0o644))
			must(t, os.WriteFile(p, []byte("tampered"), 0o644))
		}},
		{"deployment without a release", statecheck.KindNoRelease, func(ctx context.Context, t *testing.T, s state.Store, _ *release.CAS, _ *state.Release) {
			must(t, s.CreateDeployment(ctx, &state.Deployment{ID: "d3", Pipeline: "web", Environment: "beta", ReleaseID: "ghost", Version: "9.9.9",
				RunID: "r1", Kind: state.DeployKindPromote, Status: state.StatusSucceeded, StartedAt: t0, FinishedAt: t0.Add(time.Second)}))
		}},
		{"run stuck running", statecheck.KindStuckRun, func(ctx context.Context, t *testing.T, s state.Store, _ *release.CAS, _ *state.Release) {
			must(t, s.CreateRun(ctx, &state.Run{ID: "r2", Pipeline: "web", Kind: "run", Status: state.StatusRunning, Host: "here", PID: 999999, StartedAt: t0}))
		}},
		{"overlapping deployments", statecheck.KindOverlap, func(ctx context.Context, t *testing.T, s state.Store, _ *release.CAS, rel *state.Release) {
			must(t, s.CreateDeployment(ctx, &state.Deployment{ID: "d4", Pipeline: "web", Environment: "prod", ReleaseID: rel.ID, Version: rel.Version,
				RunID: "r1", Kind: state.DeployKindPromote, Status: state.StatusSucceeded, StartedAt: t0.Add(30 * time.Second), FinishedAt: t0.Add(2 * time.Minute)}))
		}},
		{"approval of another release", statecheck.KindUnbound, func(ctx context.Context, t *testing.T, s state.Store, _ *release.CAS, _ *state.Release) {
			must(t, s.AddApproval(ctx, &state.Approval{RunID: "r1", Gate: "prod/go-live", By: "dave", Decision: "approve", ReleaseDigest: "sha256:other", At: t0}))
		}},
		{"lost log line", statecheck.KindLogGap, func(ctx context.Context, t *testing.T, s state.Store, _ *release.CAS, _ *state.Release) {
			must(t, s.AppendLogs(ctx, []state.LogLine{{RunID: "r1", NodeID: "build.app.compile", Attempt: 1, Seq: 3, Text: "d", Time: t0}}))
		}},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			for _, b := range breakers {
				t.Run(b.name, func(t *testing.T) {
					s := open(t)
					cas := &release.CAS{Root: t.TempDir()}
					rel := healthy(t, s, cas)
					b.breakIt(t.Context(), t, s, cas, rel)
					rep, err := statecheck.Check(t.Context(), s, statecheck.Options{Artifacts: cas, Host: "here",
						Alive: func(pid int) bool { return pid == 1 }, Logs: true, Now: t0.Add(time.Hour)})
					if err != nil {
						t.Fatalf("Check() = %v", err)
					}
					if got := kinds(rep); got != b.want {
						t.Errorf("Check() findings = %q; want %q\n%v", got, b.want, rep.Findings)
					}
					if rep.Runs == 0 || rep.Releases != 1 || rep.Artifacts != 1 || rep.Approvals == 0 || rep.LogLines == 0 {
						t.Errorf("Check() counted %+v; want every kind of record read", rep)
					}
				})
			}
		})
	}
}
