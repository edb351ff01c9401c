package exec_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine/cache"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/engine/ui"
	"github.com/pipeline-cd/pipeline/runners/local"
)

// reuseConfig is a chain: gen writes dist/gen.bin from src/*.txt, use
// (needing gen) writes dist/use.txt, plain has no inputs and always runs.
const reuseConfig = `
pipeline "p" { image = "pipeline-test/busybox:latest" }
build "b" {
  step "gen" {
    inputs  = ["src/*.txt"]
    outputs = ["dist/gen.bin"]
    run     = "mkdir -p dist && cat src/*.txt > dist/gen.bin && head -c 3000 /dev/urandom >> dist/gen.bin && chmod 750 dist/gen.bin && echo generated"
  }
  step "use" {
    needs   = [step.gen]
    inputs  = ["dist/gen.bin"]
    outputs = ["dist/use.txt"]
    run     = "wc -c < dist/gen.bin > dist/use.txt"
  }
  step "plain" {
    run    = "echo always"
  }
}
`

// reuseFixture runs plans against one SQLite store and artifact store.
type reuseFixture struct {
	store     state.Store
	cache     *cache.Cache
	workspace string
	runs      int
}

func newReuseFixture(t testing.TB) *reuseFixture {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "state.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	ws := filepath.Join(dir, "ws")
	require.NoError(t, os.MkdirAll(filepath.Join(ws, "src"), 0o755))
	return &reuseFixture{store: store, cache: cache.New(store, filepath.Join(dir, "artifacts"), nil), workspace: ws}
}

func (f *reuseFixture) run(t testing.TB, p *plan.Plan, noCache bool) (*exec.Result, string) {
	t.Helper()
	f.runs++
	id := fmt.Sprintf("run-%d", f.runs)
	require.NoError(t, f.store.CreateRun(context.Background(), runRecord(id)))
	var out bytes.Buffer
	res, err := exec.Run(context.Background(), p, exec.Options{
		Parallelism: 4, Runner: local.New(local.Options{StopGrace: time.Second}, nil), Workspace: f.workspace,
		Store: f.store, RunID: id, Cache: f.cache, NoCache: noCache, Output: ui.NewPlain(&out),
	})
	require.NoError(t, err)
	require.Equal(t, exec.StatusSucceeded, res.Status, out.String())
	return res, out.String()
}

func TestReuseRestoresOutputsByteForByte(t *testing.T) {
	f := newReuseFixture(t)
	p := loadPlan(t, reuseConfig)
	require.NoError(t, os.WriteFile(filepath.Join(f.workspace, "src", "a.txt"), []byte("alpha\n"), 0o644))

	first, _ := f.run(t, p, false)
	checkStatuses(t, first, map[string]string{"build.b.gen": exec.StatusSucceeded, "build.b.use": exec.StatusSucceeded, "build.b.plain": exec.StatusSucceeded})
	gen := filepath.Join(f.workspace, "dist", "gen.bin")
	want, err := os.ReadFile(gen)
	require.NoError(t, err)
	wantUse, err := os.ReadFile(filepath.Join(f.workspace, "dist", "use.txt"))
	require.NoError(t, err)

	// The outputs are gone; an unchanged second run restores them from
	// the store instead of running the steps (gen appends random bytes,
	// so a run would give other content).
	require.NoError(t, os.RemoveAll(filepath.Join(f.workspace, "dist")))
	second, out := f.run(t, p, false)
	checkStatuses(t, second, map[string]string{"build.b.gen": exec.StatusReused, "build.b.use": exec.StatusReused, "build.b.plain": exec.StatusSucceeded})
	got, err := os.ReadFile(gen)
	require.NoError(t, err)
	if !bytes.Equal(got, want) {
		t.Errorf("restored dist/gen.bin differs from the first run's (%d bytes vs %d)", len(got), len(want))
	}
	gotUse, err := os.ReadFile(filepath.Join(f.workspace, "dist", "use.txt"))
	require.NoError(t, err)
	if !bytes.Equal(gotUse, wantUse) {
		t.Errorf("restored dist/use.txt = %q; want %q", gotUse, wantUse)
	}
	st, err := os.Stat(gen)
	require.NoError(t, err)
	if st.Mode().Perm() != 0o750 {
		t.Errorf("restored dist/gen.bin mode = %v; want 0750", st.Mode().Perm())
	}
	if r := reasonOf(second, "build.b.gen"); !strings.Contains(r, "reused from run run-1 (1 output file restored") {
		t.Errorf("reason of reused gen = %q; want it to name run-1", r)
	}
	if !strings.Contains(out, "[build.b.gen] generated") {
		t.Errorf("output of the second run does not show gen's recorded log line:\n%s", out)
	}
	nodes, err := f.store.Nodes(context.Background(), "run-2")
	require.NoError(t, err)
	for _, n := range nodes {
		if n.NodeID == "build.b.gen" && n.Status != state.StatusSucceeded {
			t.Errorf("stored status of reused gen = %q; want succeeded (so resume treats it as done)", n.Status)
		}
	}

	// Outputs already in place are left alone, not rewritten.
	before, err := os.Stat(gen)
	require.NoError(t, err)
	again, _ := f.run(t, p, false)
	if r := reasonOf(again, "build.b.gen"); !strings.Contains(r, "1 output file already in place") {
		t.Errorf("reason with the output in place = %q; want it to say so", r)
	}
	after, err := os.Stat(gen)
	require.NoError(t, err)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("dist/gen.bin was rewritten although it was in place (mtime %v -> %v)", before.ModTime(), after.ModTime())
	}

	// A changed input runs gen again, and use, whose key includes gen's.
	require.NoError(t, os.WriteFile(filepath.Join(f.workspace, "src", "a.txt"), []byte("beta\n"), 0o644))
	third, _ := f.run(t, p, false)
	checkStatuses(t, third, map[string]string{"build.b.gen": exec.StatusSucceeded, "build.b.use": exec.StatusSucceeded, "build.b.plain": exec.StatusSucceeded})

	// --no-cache runs everything although nothing changed.
	fourth, _ := f.run(t, p, true)
	checkStatuses(t, fourth, map[string]string{"build.b.gen": exec.StatusSucceeded, "build.b.use": exec.StatusSucceeded, "build.b.plain": exec.StatusSucceeded})
}

func TestReuseMissingBlobRunsTheStep(t *testing.T) {
	f := newReuseFixture(t)
	p := loadPlan(t, reuseConfig)
	require.NoError(t, os.WriteFile(filepath.Join(f.workspace, "src", "a.txt"), []byte("alpha\n"), 0o644))
	f.run(t, p, false)
	// Someone pruned the output store but not the entries.
	dir := filepath.Dir(f.workspace)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "artifacts", cache.OutputsDir)))
	res, _ := f.run(t, p, false)
	checkStatuses(t, res, map[string]string{"build.b.gen": exec.StatusSucceeded, "build.b.use": exec.StatusSucceeded, "build.b.plain": exec.StatusSucceeded})
}

// BenchmarkReuse100 runs a 100-step pipeline whose steps all declare
// inputs and outputs once, then measures runs of the unchanged workspace,
// in which every step is reused (SQLite store, local runner; the CLI
// figure with Docker is in scripts/bench.sh).
func BenchmarkReuse100(b *testing.B) {
	var src strings.Builder
	src.WriteString("pipeline \"p\" { image = \"pipeline-test/busybox:latest\" }\nbuild \"b\" {\n")
	for i := range 100 {
		fmt.Fprintf(&src, "  step \"s%d\" {\n    inputs = [\"src/*.txt\"]\n    outputs = [\"out/%d.txt\"]\n    run = \"mkdir -p out && cat src/*.txt > out/%d.txt\"\n  }\n", i, i, i)
	}
	src.WriteString("}\n")
	p := loadPlan(b, src.String())
	f := newReuseFixture(b)
	require.NoError(b, os.WriteFile(filepath.Join(f.workspace, "src", "a.txt"), []byte("alpha\n"), 0o644))
	f.run(b, p, false)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, _ := f.run(b, p, false)
		if s := res.Nodes["build.b.s7"].Status; s != exec.StatusReused {
			b.Fatalf("step s7 %s; want reused", s)
		}
	}
}
