package exec_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/engine/ui"
	"github.com/pipeline-cd/pipeline/runners/local"
	"github.com/pipeline-cd/pipeline/runners/runnertest"
)

// TestResumeNumbersAttemptsOn: a step whose first attempt was killed (the
// store records it running with attempt 1 and its output) runs again as
// attempt 2, with its retries, and its lines never clash with attempt 1's.
func TestResumeNumbersAttemptsOn(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) state.Store
	}{
		{"memory", func(t *testing.T) state.Store { return memory.New() }},
		{"sqlite", func(t *testing.T) state.Store {
			s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"), nil)
			require.NoError(t, err)
			return s
		}},
	}
	p := loadPlan(t, `
pipeline "resume" {
  image = "pipeline-test/busybox:latest"
}
build "app" {
  step "flaky" {
    retries = 1
    run     = "n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo try $n; [ $n -ge 2 ]"
  }
}
`)
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			store := st.open(t)
			t.Cleanup(func() { _ = store.Close() })
			const runID, node = "run-resumed", "build.app.flaky"
			require.NoError(t, store.CreateRun(ctx, runRecord(runID)))
			at := time.Now().Add(-time.Minute)
			require.NoError(t, store.PutNode(ctx, &state.Node{RunID: runID, NodeID: node, Kind: "step",
				Status: state.StatusRunning, Attempts: 1, StartedAt: at}))
			require.NoError(t, store.AppendLogs(ctx, []state.LogLine{
				{RunID: runID, NodeID: node, Attempt: 1, Seq: 0, Stream: "stdout", Time: at, Text: "killed 0"},
				{RunID: runID, NodeID: node, Attempt: 1, Seq: 1, Stream: "stdout", Time: at, Text: "killed 1"},
			}))

			out := &runnertest.Buffer{}
			res, err := exec.Run(ctx, p, exec.Options{
				Runner: local.New(local.Options{}, nil), Workspace: t.TempDir(),
				Store: store, RunID: runID, Output: ui.NewPlain(out),
			})
			if err != nil {
				t.Fatalf("Run of the resumed step: %v; want no store error", err)
			}
			if nr := res.Nodes[node]; nr.Status != exec.StatusSucceeded || nr.Attempts != 3 {
				t.Errorf("%s = %s after attempt %d; want succeeded at attempt 3 (1 killed, 2 failed, 3 retried)", node, nr.Status, nr.Attempts)
			}
			nodes, err := store.Nodes(ctx, runID)
			require.NoError(t, err)
			if len(nodes) != 1 || nodes[0].Attempts != 3 || nodes[0].Status != state.StatusSucceeded {
				t.Errorf("stored nodes = %+v; want %s succeeded with 3 attempts", nodes, node)
			}
			lines, err := store.Logs(ctx, runID, node)
			require.NoError(t, err)
			var b strings.Builder
			for _, l := range lines {
				b.WriteString(strings.Join([]string{itoa(l.Attempt), itoa(int(l.Seq)), l.Text}, ":") + "\n")
			}
			if got, want := b.String(), "1:0:killed 0\n1:1:killed 1\n2:0:try 1\n3:0:try 2\n"; got != want {
				t.Errorf("stored logs =\n%s\nwant\n%s", got, want)
			}
			if !strings.Contains(out.String(), "▶ build.app.flaky (attempt 2 of 3)") {
				t.Errorf("output lacks the resumed attempt number:\n%s", out.String())
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
