package dsl

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// checkGateWhens evaluates every gate's when with run-time values
// unknown, so that a wrong type or reference is found by validate.
func (l *loader) checkGateWhens() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, s := range l.cfg.Environments() {
		for _, g := range s.Gates {
			if g.When == nil {
				continue
			}
			g.cfg = l.cfg
			_, d := l.eval.evalValue(g.When, l.eval.runtimeContext(Scope{}), "gate when", cty.Bool, true)
			diags = append(diags, d...)
		}
	}
	return diags
}

// EvalGateWhen evaluates the when of gate g, which may come from another
// config than c (the trusted ref's): its var.* and local.* are those of
// the config that declared it, its release.* those of scope and its git.*
// those of c, the config being run. A gate without when is required:
// Bool{Value: true, Known: true}.
func (c *Config) EvalGateWhen(g *Gate, scope Scope) (Bool, hcl.Diagnostics) {
	if g.When == nil {
		return Bool{Value: true, Known: true}, nil
	}
	own := g.cfg
	if own == nil || own.eval == nil {
		own = c
	}
	if own.eval == nil {
		return Bool{}, notLoaded()
	}
	ctx := own.eval.runtimeContext(scope).NewChild()
	ctx.Variables = map[string]cty.Value{"git": gitValue(c.Git)}
	v, diags := own.eval.evalValue(g.When, ctx, "gate when", cty.Bool, true)
	b := Bool{Source: own.eval.source(g.When)}
	if !diags.HasErrors() && v.IsKnown() {
		b.Value, b.Known = v.True(), true
	} else {
		b.After = after(g.When)
	}
	return b, diags
}
