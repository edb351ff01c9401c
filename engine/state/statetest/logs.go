package statetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// testStreamLogs checks that StreamLogs gives what Logs gives, in order,
// for a log written in many batches by steps running side by side, that a
// line filling a gap is no conflict, that fn's error comes back as is, and
// LogAttempts.
func testStreamLogs(t *testing.T, s state.Store) {
	createRuns(t, s, newRun("r", "webapp", at(0)))
	// Two nodes writing in turns, batches of 7 lines, times interleaved
	// (and some equal across nodes), plus a retry of one node.
	var batch []state.LogLine
	seq := map[string]int64{}
	for i := 0; i < 300; i++ {
		node := []string{"build.a", "build.b"}[i%2]
		l := state.LogLine{RunID: "r", NodeID: node, Attempt: 1, Seq: seq[node], Stream: []string{"stdout", "stderr"}[i%3%2],
			Time: t0.Add(time.Duration(i/2) * time.Millisecond), Text: fmt.Sprintf("%s line %d", node, seq[node])}
		seq[node]++
		batch = append(batch, l)
		if len(batch) == 7 {
			must(t, "AppendLogs", s.AppendLogs(ctx(t), batch))
			batch = nil
		}
	}
	retry := state.LogLine{RunID: "r", NodeID: "build.a", Attempt: 2, Seq: 0, Stream: "stdout", Time: t0.Add(time.Millisecond), Text: "retry"}
	batch = append(batch, retry)
	must(t, "AppendLogs", s.AppendLogs(ctx(t), batch))
	for _, node := range []string{"", "build.a", "build.b"} {
		want, err := s.Logs(ctx(t), "r", node)
		must(t, "Logs", err)
		var got []state.LogLine
		must(t, "StreamLogs", s.StreamLogs(ctx(t), "r", node, func(l state.LogLine) error {
			got = append(got, l)
			return nil
		}))
		if d := cmp.Diff(want, got, diffOpts...); d != "" {
			t.Errorf("StreamLogs(%q) differs from Logs (-Logs +StreamLogs):\n%s", node, d)
		}
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			var inOrder bool
			if node == "" {
				inOrder = a.Time.Before(b.Time) || a.Time.Equal(b.Time) && (a.NodeID < b.NodeID || a.NodeID == b.NodeID && (a.Attempt < b.Attempt || a.Attempt == b.Attempt && a.Seq < b.Seq))
			} else {
				inOrder = a.Attempt < b.Attempt || a.Attempt == b.Attempt && a.Seq < b.Seq
			}
			if !inOrder {
				t.Fatalf("StreamLogs(%q) line %d %+v comes after %+v", node, i, b, a)
			}
		}
		if node == "" && len(got) != 301 {
			t.Errorf("StreamLogs(run) = %d lines; want 301", len(got))
		}
	}

	// A line filling a gap in a node attempt is stored; one already stored
	// is a conflict.
	gap := []state.LogLine{
		{RunID: "r", NodeID: "gap", Attempt: 1, Seq: 0, Stream: "stdout", Time: at(1), Text: "zero"},
		{RunID: "r", NodeID: "gap", Attempt: 1, Seq: 2, Stream: "stdout", Time: at(1), Text: "two"},
	}
	must(t, "AppendLogs(gap)", s.AppendLogs(ctx(t), gap))
	one := state.LogLine{RunID: "r", NodeID: "gap", Attempt: 1, Seq: 1, Stream: "stdout", Time: at(1), Text: "one"}
	must(t, "AppendLogs(fill the gap)", s.AppendLogs(ctx(t), []state.LogLine{one}))
	wantErr(t, "AppendLogs(seq 2 again)", s.AppendLogs(ctx(t), []state.LogLine{gap[1]}), state.ErrConflict)
	got, err := s.Logs(ctx(t), "r", "gap")
	must(t, "Logs(gap)", err)
	if len(got) != 3 || got[0].Text != "zero" || got[1].Text != "one" || got[2].Text != "two" {
		t.Errorf("Logs(gap) = %+v; want zero, one, two", got)
	}

	stop := errors.New("enough")
	n := 0
	err = s.StreamLogs(ctx(t), "r", "", func(state.LogLine) error {
		n++
		if n == 5 {
			return stop
		}
		return nil
	})
	if err != stop || n != 5 {
		t.Errorf("StreamLogs with fn failing at line 5 = %v after %d lines; want the error as is after 5", err, n)
	}

	attempts, err := s.LogAttempts(ctx(t), "r")
	must(t, "LogAttempts", err)
	wantAttempts := map[string][]int{"build.a": {1, 2}, "build.b": {1}, "gap": {1}}
	if d := cmp.Diff(wantAttempts, attempts); d != "" {
		t.Errorf("LogAttempts mismatch (-want +got):\n%s", d)
	}
}
