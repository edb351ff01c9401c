package statetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-cd/pipeline/engine/state"
)

func testRuns(t *testing.T, s state.Store) {
	r := newRun("run-1", "webapp", at(0))
	createRuns(t, s, r)

	got, err := s.GetRun(ctx(t), "run-1")
	must(t, `GetRun("run-1")`, err)
	if d := cmp.Diff(r, got, diffOpts...); d != "" {
		t.Errorf("GetRun(%q) after CreateRun mismatch (-want +got):\n%s", "run-1", d)
	}

	wantErr(t, `CreateRun("run-1") again`, s.CreateRun(ctx(t), newRun("run-1", "webapp", at(1))), state.ErrConflict)

	// UpdateRun changes only the mutable fields.
	upd := *r
	upd.Status, upd.Reason, upd.ReleaseID = state.StatusFailed, "step build.app.compile exited with 2", "rel-1"
	upd.Host, upd.PID, upd.FinishedAt = "ci-2", 0, at(5)
	upd.Pipeline, upd.Commit, upd.Plan = "other", "deadbeef", []byte("changed")
	must(t, "UpdateRun", s.UpdateRun(ctx(t), &upd))
	want := *r
	want.Status, want.Reason, want.ReleaseID = upd.Status, upd.Reason, upd.ReleaseID
	want.Host, want.PID, want.FinishedAt = upd.Host, upd.PID, upd.FinishedAt
	got, err = s.GetRun(ctx(t), "run-1")
	must(t, `GetRun("run-1")`, err)
	if d := cmp.Diff(&want, got, diffOpts...); d != "" {
		t.Errorf("GetRun(%q) after UpdateRun mismatch (-want +got):\n%s", "run-1", d)
	}

	// An empty ID is assigned by the store.
	anon := newRun("", "webapp", at(1))
	must(t, "CreateRun(empty id)", s.CreateRun(ctx(t), anon))
	if anon.ID == "" {
		t.Fatalf("CreateRun(empty id) left ID empty; want an assigned id")
	}
	if _, err := s.GetRun(ctx(t), anon.ID); err != nil {
		t.Errorf("GetRun(%q) of assigned id = %v; want nil", anon.ID, err)
	}

	// The store keeps its own copy.
	r.Plan[0] = 'X'
	got, err = s.GetRun(ctx(t), "run-1")
	must(t, `GetRun("run-1")`, err)
	if got.Plan[0] != '{' {
		t.Errorf("GetRun(%q).Plan changed when the caller changed its slice; the store must copy", "run-1")
	}
}

func testListRuns(t *testing.T, s state.Store) {
	a := newRun("a", "webapp", at(0))
	b := newRun("b", "webapp", at(2))
	c := newRun("c", "api", at(1))
	d := newRun("d", "webapp", at(2)) // same start as b: ID breaks the tie
	d.Status = state.StatusWaiting
	createRuns(t, s, a, b, c, d)

	tests := []struct {
		f    state.RunFilter
		want []string
	}{
		{state.RunFilter{}, []string{"d", "b", "c", "a"}},
		{state.RunFilter{Pipeline: "webapp"}, []string{"d", "b", "a"}},
		{state.RunFilter{Pipeline: "api"}, []string{"c"}},
		{state.RunFilter{Pipeline: "nope"}, nil},
		{state.RunFilter{Status: state.StatusWaiting}, []string{"d"}},
		{state.RunFilter{Pipeline: "webapp", Status: state.StatusRunning}, []string{"b", "a"}},
		{state.RunFilter{Limit: 2}, []string{"d", "b"}},
		{state.RunFilter{Pipeline: "webapp", Limit: 1}, []string{"d"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.f), func(t *testing.T) {
			runs, err := s.ListRuns(ctx(t), tt.f)
			must(t, "ListRuns", err)
			var got []string
			for _, r := range runs {
				got = append(got, r.ID)
			}
			if d := cmp.Diff(tt.want, got, diffOpts...); d != "" {
				t.Errorf("ListRuns(%+v) ids mismatch (-want +got):\n%s", tt.f, d)
			}
		})
	}
}

func testNodes(t *testing.T, s state.Store) {
	createRuns(t, s, newRun("r", "webapp", at(0)), newRun("other", "webapp", at(0)))
	compile := &state.Node{RunID: "r", NodeID: "build.app.compile", Kind: "step", Status: state.StatusRunning,
		Attempts: 1, StartedAt: at(1)}
	must(t, "PutNode(compile running)", s.PutNode(ctx(t), compile))
	gate := &state.Node{RunID: "r", NodeID: "environment.production.gate.go-live", Kind: "gate", Status: state.NodePending}
	must(t, "PutNode(gate)", s.PutNode(ctx(t), gate))
	vet := &state.Node{RunID: "r", NodeID: "build-x.vet", Kind: "step", Status: state.NodeSkipped, Reason: "upstream failed"}
	must(t, "PutNode(vet)", s.PutNode(ctx(t), vet))
	must(t, "PutNode(other run)", s.PutNode(ctx(t), &state.Node{RunID: "other", NodeID: "a", Kind: "step", Status: state.NodePending}))

	// Replacing: the second put of a node wins completely.
	done := *compile
	done.Status, done.Attempts, done.ExitCode, done.Reason, done.FinishedAt = state.StatusFailed, 2, 3, "exit status 3", at(3)
	must(t, "PutNode(compile failed)", s.PutNode(ctx(t), &done))

	got, err := s.Nodes(ctx(t), "r")
	must(t, `Nodes("r")`, err)
	want := []*state.Node{vet, &done, gate} // ordered by NodeID, byte-wise: '-' < '.' < 'e'
	if d := cmp.Diff(want, got, diffOpts...); d != "" {
		t.Errorf("Nodes(%q) mismatch (-want +got):\n%s", "r", d)
	}

	wantErr(t, "PutNode(unknown run)", s.PutNode(ctx(t), &state.Node{RunID: "ghost", NodeID: "x", Kind: "step"}), state.ErrNotFound)
	got, err = s.Nodes(ctx(t), "ghost")
	must(t, `Nodes("ghost")`, err)
	if len(got) != 0 {
		t.Errorf("Nodes(%q) = %d nodes; want 0", "ghost", len(got))
	}
}

func testLogs(t *testing.T, s state.Store) {
	createRuns(t, s, newRun("r", "webapp", at(0)))
	line := func(node string, attempt int, seq int64, minute int, text string) state.LogLine {
		return state.LogLine{RunID: "r", NodeID: node, Attempt: attempt, Seq: seq, Stream: "stdout", Time: at(minute), Text: text}
	}
	a0 := line("test.unit", 1, 0, 1, "=== RUN TestA")
	a1 := line("test.unit", 1, 1, 3, "--- FAIL: TestA ***")
	b0 := line("build.app", 1, 0, 2, "go build")
	r0 := line("test.unit", 2, 0, 4, "=== RUN TestA (retry)")
	same := line("build.app", 1, 1, 3, "same minute as a1") // tie on time: node id orders
	must(t, "AppendLogs(batch 1)", s.AppendLogs(ctx(t), []state.LogLine{a0, b0}))
	must(t, "AppendLogs(batch 2)", s.AppendLogs(ctx(t), []state.LogLine{r0, a1, same}))
	must(t, "AppendLogs(empty)", s.AppendLogs(ctx(t), nil))

	tests := []struct {
		node string
		want []state.LogLine
	}{
		{"test.unit", []state.LogLine{a0, a1, r0}},
		{"build.app", []state.LogLine{b0, same}},
		{"", []state.LogLine{a0, b0, same, a1, r0}},
		{"nope", nil},
	}
	for _, tt := range tests {
		got, err := s.Logs(ctx(t), "r", tt.node)
		must(t, "Logs", err)
		if d := cmp.Diff(tt.want, got, diffOpts...); d != "" {
			t.Errorf("Logs(%q, %q) mismatch (-want +got):\n%s", "r", tt.node, d)
		}
	}

	// A batch with a duplicate line or an unknown run stores nothing.
	fresh := line("deploy", 1, 0, 5, "fresh")
	wantErr(t, "AppendLogs(duplicate seq)", s.AppendLogs(ctx(t), []state.LogLine{fresh, a0}), state.ErrConflict)
	ghost := fresh
	ghost.RunID = "ghost"
	wantErr(t, "AppendLogs(unknown run)", s.AppendLogs(ctx(t), []state.LogLine{fresh, ghost}), state.ErrNotFound)
	got, err := s.Logs(ctx(t), "r", "deploy")
	must(t, "Logs(deploy)", err)
	if len(got) != 0 {
		t.Errorf("Logs(%q, %q) after two rejected batches = %d lines; want 0 (a batch is one transaction)", "r", "deploy", len(got))
	}
}

func testPipelines(t *testing.T, s state.Store) {
	got, err := s.Pipelines(ctx(t))
	must(t, "Pipelines() of an empty store", err)
	if len(got) != 0 {
		t.Errorf("Pipelines() of an empty store = %q; want none", got)
	}
	createRuns(t, s, newRun("a", "webapp", at(0)), newRun("b", "api", at(1)), newRun("c", "webapp", at(2)),
		newRun("d", "worker", at(3)))
	got, err = s.Pipelines(ctx(t))
	must(t, "Pipelines()", err)
	if d := cmp.Diff([]string{"api", "webapp", "worker"}, got); d != "" {
		t.Errorf("Pipelines() mismatch (-want +got):\n%s", d)
	}
}
