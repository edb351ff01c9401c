package statetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// testConcurrentWrites records several runs at once, as parallel steps and
// parallel pipelines do, and checks that every write landed.
func testConcurrentWrites(t *testing.T, s state.Store) {
	const runs, steps, lines = 4, 5, 3
	var wg sync.WaitGroup
	errs := make(chan error, runs*steps)
	for r := range runs {
		id := fmt.Sprintf("run-%d", r)
		must(t, "CreateRun("+id+")", s.CreateRun(ctx(t), newRun(id, "webapp", at(r))))
		for st := range steps {
			wg.Go(func() {
				n := &state.Node{RunID: id, NodeID: fmt.Sprintf("step-%d", st), Kind: "step", Status: state.StatusRunning, Attempts: 1, StartedAt: at(st)}
				if err := s.PutNode(ctx(t), n); err != nil {
					errs <- fmt.Errorf("PutNode(%s/%s) = %w", id, n.NodeID, err)
					return
				}
				batch := make([]state.LogLine, lines)
				for i := range batch {
					batch[i] = state.LogLine{RunID: id, NodeID: n.NodeID, Attempt: 1, Seq: int64(i), Stream: "stdout", Time: at(st), Text: "line"}
				}
				if err := s.AppendLogs(ctx(t), batch); err != nil {
					errs <- fmt.Errorf("AppendLogs(%s/%s) = %w", id, n.NodeID, err)
					return
				}
				n.Status = state.StatusSucceeded
				if err := s.PutNode(ctx(t), n); err != nil {
					errs <- fmt.Errorf("PutNode(%s/%s succeeded) = %w", id, n.NodeID, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v; want nil", err)
	}
	for r := range runs {
		id := fmt.Sprintf("run-%d", r)
		nodes, err := s.Nodes(ctx(t), id)
		must(t, "Nodes("+id+")", err)
		succeeded := 0
		for _, n := range nodes {
			if n.Status == state.StatusSucceeded {
				succeeded++
			}
		}
		if succeeded != steps {
			t.Errorf("Nodes(%q): %d succeeded of %d; want %d", id, succeeded, len(nodes), steps)
		}
		logs, err := s.Logs(ctx(t), id, "")
		must(t, "Logs("+id+")", err)
		if len(logs) != steps*lines {
			t.Errorf("Logs(%q, \"\") = %d lines; want %d", id, len(logs), steps*lines)
		}
	}
}
