package engine

import (
	"context"
	"fmt"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/outputs"
	"github.com/pipeline-cd/pipeline/engine/plan"
)

// packageOutputs returns the outputs the run's package steps recorded
// (masked, see exec), by step name, in the release's stored form; nil when
// they wrote none.
func (s *session) packageOutputs(ctx context.Context) ([]byte, error) {
	recs, err := s.e.store.Outputs(ctx, s.run.ID)
	if err != nil {
		return nil, fmt.Errorf("reading the outputs of the package steps: %w", err)
	}
	steps := map[string]map[string]string{}
	for _, rec := range recs {
		n := s.plan.Node(rec.NodeID)
		if n == nil || n.Kind != plan.KindStep || n.StageKind != dsl.KindPackage {
			continue
		}
		out, err := outputs.Decode(rec.Data)
		if err != nil {
			return nil, fmt.Errorf("the outputs of %s: %w", rec.NodeID, err)
		}
		if len(out) > 0 {
			steps[n.Step.Name] = out
		}
	}
	return outputs.EncodeRelease(steps), nil
}
