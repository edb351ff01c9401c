package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
)

// TestResumeAfterCrashNextAttempt: a run dies during its staging step
// after the step's output was stored; the resume runs the step as attempt
// 2 and keeps both attempts' lines apart in the store.
func TestResumeAfterCrashNextAttempt(t *testing.T) {
	for _, st := range crashStores {
		t.Run(st.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": staged})
			store := st.open(t)
			t.Cleanup(func() { _ = store.Close() })
			c := ctx(t)
			var id string
			_, _ = crashEngine(t, r, store, ".rollout").Run(c, engine.RunRequest{Config: r.load(),
				Started: func(i engine.RunInfo) { id = i.Run.ID }})
			if id == "" {
				t.Fatal("the crashing run did not start")
			}
			if _, err := liveEngine(t, r, store).Resume(c, engine.ResumeRequest{RunID: id}); err != nil {
				t.Fatalf("Resume(%s): %v", id, err)
			}
			const node = "environment.staging.rollout"
			lines, err := store.Logs(c, id, node)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range lines {
				got = append(got, fmt.Sprintf("%d:%d:%s", l.Attempt, l.Seq, l.Text))
			}
			if want := "1:0:rolling 2.0.1,2:0:rolling 2.0.1"; strings.Join(got, ",") != want {
				t.Errorf("logs of %s = %v; want %s (the killed attempt and the resumed one)", node, got, want)
			}
			nodes, _ := store.Nodes(c, id)
			for _, n := range nodes {
				if n.NodeID == node && n.Attempts != 2 {
					t.Errorf("%s recorded %d attempts; want 2", node, n.Attempts)
				}
			}
		})
	}
}
