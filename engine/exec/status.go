package exec

import (
	"fmt"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/plan"
)

// statusFalse reports whether a failure() step is to be skipped because
// nothing it depends on, directly or not, failed; and the skip reason.
//
// A success() step (the default) behind an always() step is skipped when
// something it depends on through that step failed: success() means
// everything it depends on succeeded.
func (r *scheduler) statusFalse(n *plan.Node) (bool, string) {
	switch n.Step.RunsOn() {
	case dsl.RunAlways:
		return false, ""
	case dsl.RunOnFailure:
		if r.failedAncestor(n.ID) != "" {
			return false, ""
		}
		return true, "when condition is false: failure(), and nothing this step depends on failed"
	}
	if !r.tolerant {
		return false, ""
	}
	if failed := r.failedAncestor(n.ID); failed != "" {
		return true, "skipped: " + failed + " failed"
	}
	return false, ""
}

// failedAncestor returns a node that id depends on, directly or not, that
// failed or timed out; "" when there is none.
func (r *scheduler) failedAncestor(id string) string {
	g := graphOf(r.p)
	seen := map[string]bool{}
	queue := g.Deps(id)
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if seen[d] {
			continue
		}
		seen[d] = true
		if nr, ok := r.nodes[d]; ok && (nr.Status == StatusFailed || nr.Status == StatusTimedOut) {
			return d
		}
		queue = append(queue, g.Deps(d)...)
	}
	return ""
}

// stageDone finishes a stage node: it succeeds once every step of the
// stage did. A step that failed before an always() or failure() step still
// fails the stage, so the stages after it do not run.
func (r *scheduler) stageDone(n *plan.Node) error {
	t := r.now()
	var failed string
	r.mu.Lock()
	for id, nr := range r.nodes {
		if nn := nodeOf(r.p, id); nn != nil && nn.Kind == plan.KindStep && nn.Stage == n.Stage &&
			(nr.Status == StatusFailed || nr.Status == StatusTimedOut) && (failed == "" || id < failed) {
			failed = id
		}
	}
	nr := &NodeResult{ID: n.ID, Kind: string(n.Kind), Status: StatusSucceeded, Started: t, Finished: t}
	if failed != "" {
		nr.Status, nr.Reason = StatusFailed, failed+" failed"
	}
	r.nodes[n.ID] = nr
	r.mu.Unlock()
	if failed != "" {
		return fmt.Errorf("%s: %s failed", n.ID, failed)
	}
	return nil
}
