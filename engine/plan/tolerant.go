package plan

import (
	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/dag"
)

// Tolerant reports whether the node is a step whose when is always() or
// failure(): it is considered once every node it depends on has
// finished, even when one failed (dag.TolerantVertex).
func (n *Node) Tolerant() bool {
	return n.Kind == KindStep && n.Step != nil && (n.Step.RunsOn() == dsl.RunAlways || n.Step.RunsOn() == dsl.RunOnFailure)
}

var _ dag.TolerantVertex = (*Node)(nil)

// RunsOn returns the status function of the step's when: dsl.RunOnSuccess,
// dsl.RunAlways or dsl.RunOnFailure.
func (s *StepNode) RunsOn() string {
	if s.Def == nil || s.Def.RunsOn == "" {
		return dsl.RunOnSuccess
	}
	return s.Def.RunsOn
}

// runsOnText says when a step runs, for a step that is not RunOnSuccess.
func runsOnText(s *StepNode) string {
	switch s.RunsOn() {
	case dsl.RunAlways:
		return "always: once its dependencies finished, also after a failure"
	case dsl.RunOnFailure:
		return "on failure: only when something it depends on failed"
	}
	return ""
}
