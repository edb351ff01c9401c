package engine

import (
	"context"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/ui"
)

// settleSink forwards events and finishes an environment's deployment (and
// releases its lock) as soon as the last of its final nodes succeeded,
// rather than when the whole run ends: a run that then waits at a later
// gate does not keep earlier environments locked.
type settleSink struct {
	next ui.Sink
	s    *session
}

func (k *settleSink) Event(e ui.Event) {
	k.next.Event(e)
	if (e.Kind != ui.NodeFinished && e.Kind != ui.NodeSkipped) || !k.s.finalDone(e.Node, e.Status) {
		return
	}
	k.s.finalSucceeded(e.Node)
}

// finalSucceeded records that node succeeded (or was skipped because its
// when condition is false) and ends the deployment of the environment it
// completes once all its final nodes have.
func (s *session) finalSucceeded(node string) {
	for _, n := range s.plan.Nodes {
		if n.Env == nil {
			continue
		}
		for _, f := range n.Env.Final {
			if f != node {
				continue
			}
			s.mu.Lock()
			if s.finals == nil {
				s.finals = map[string]bool{}
			}
			s.finals[node] = true
			all := true
			for _, g := range n.Env.Final {
				all = all && s.finals[g]
			}
			d := s.deps[n.Env.Name]
			s.mu.Unlock()
			if all && d != nil && d.Status == state.StatusRunning {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				s.endDeployment(ctx, n.Env.Name, state.StatusSucceeded, "")
				cancel()
			}
		}
	}
}
