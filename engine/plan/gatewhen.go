package plan

import (
	"github.com/pipeline-cd/pipeline/dsl"
)

// gateWhen evaluates a gate's condition; nil for a gate without one.
func (b *builder) gateWhen(g *dsl.Gate) *dsl.Bool {
	if g.When == nil {
		return nil
	}
	v, diags := b.cfg.EvalGateWhen(g, b.scope)
	b.diags = append(b.diags, diags...)
	return &v
}

// gateWhenText says whether a conditional gate applies.
func gateWhenText(w dsl.Bool) string {
	switch {
	case !w.Known:
		after := w.After
		if after == "" {
			after = "run"
		}
		return w.Source + "  (known after " + after + "; when false, the gate is not required)"
	case w.Value:
		return w.Source + "  (true: the gate is required)"
	}
	return w.Source + "  (false: the gate is not required)"
}
