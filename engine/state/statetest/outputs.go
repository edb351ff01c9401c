package statetest

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-cd/pipeline/engine/state"
)

func testOutputs(t *testing.T, s state.Store) {
	ctx := context.Background()
	createRuns(t, s, newRun("run-out", "p", t0))
	if got, err := s.Outputs(ctx, "run-out"); err != nil || len(got) != 0 {
		t.Fatalf("Outputs(new run) = %v, %v; want none", got, err)
	}
	put := func(node, data string) {
		t.Helper()
		if err := s.PutOutputs(ctx, &state.Outputs{RunID: "run-out", NodeID: node, Data: []byte(data)}); err != nil {
			t.Fatalf("PutOutputs(%s) = %v", node, err)
		}
	}
	put("test.unit.b", `{"version":1}`)
	put("build.app.a[x=1]", `first`)
	put("build.app.a[x=1]", `second`) // replaces
	got, err := s.Outputs(ctx, "run-out")
	if err != nil {
		t.Fatal(err)
	}
	want := []*state.Outputs{
		{RunID: "run-out", NodeID: "build.app.a[x=1]", Data: []byte("second")},
		{RunID: "run-out", NodeID: "test.unit.b", Data: []byte(`{"version":1}`)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Outputs (-want +got):\n%s", diff)
	}
	err = s.PutOutputs(ctx, &state.Outputs{RunID: "no-such-run", NodeID: "x", Data: []byte("y")})
	if !errors.Is(err, state.ErrNotFound) {
		t.Errorf("PutOutputs(unknown run) = %v; want ErrNotFound", err)
	}
}
