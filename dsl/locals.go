package dsl

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// evalLocals evaluates the local values in dependency order. A local may
// refer to var.*, git.* and other locals, but not to run.* or release.*. A
// cycle among locals is one diagnostic naming every member; the members
// evaluate as unknown so that evaluation can go on.
func (l *loader) evalLocals(attrs []*hcl.Attribute) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	index := make(map[string]int, len(attrs))
	for i, a := range attrs {
		index[a.Name] = i
	}
	g := newGraph(len(attrs))
	for i, a := range attrs {
		for _, tr := range a.Expr.Variables() {
			if tr.RootName() != "local" || len(tr) < 2 {
				continue
			}
			if name, ok := traversalStep(tr[1]); ok {
				if j, ok := index[name]; ok {
					rng := tr.SourceRange()
					g.connect(i, j, &rng)
				}
			}
		}
	}
	values := make(map[string]cty.Value, len(attrs))
	inCycle := make([]bool, len(attrs))
	for _, c := range g.cycles(func(int) bool { return true }) {
		names := make([]string, 0, len(c.edges)+1)
		for _, e := range c.edges {
			names = append(names, "local."+attrs[e.from].Name)
			inCycle[e.from] = true
		}
		names = append(names, names[0])
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cycle Between Local Values",
			Detail: fmt.Sprintf("The local values %s refer to each other, so none of them can be computed.%s Break the cycle by removing one of the references.",
				strings.Join(names, " -> "), alsoIn(c, func(v int) string { return "local." + attrs[v].Name })),
			Subject: c.edges[0].where,
		})
	}
	// sccs returns components dependencies first, which is evaluation order.
	for _, comp := range g.sccs() {
		for _, i := range comp {
			a := attrs[i]
			if inCycle[i] || len(comp) > 1 {
				values[a.Name] = cty.DynamicVal
				continue
			}
			ctx := &hcl.EvalContext{
				Variables: map[string]cty.Value{
					"var":   objectOrEmpty(l.cfg.VarValues),
					"local": objectOrEmpty(referencedLocals(a.Expr, values)),
					"git":   gitValue(l.opts.Git),
				},
				Functions: l.funcs,
			}
			v := cty.DynamicVal
			d := l.eval.checkRefs(a.Expr, "local."+a.Name, false)
			if !d.HasErrors() {
				var vDiags hcl.Diagnostics
				v, vDiags = a.Expr.Value(ctx)
				d = append(d, fixRanges(vDiags, a.Expr)...)
			}
			diags = append(diags, d...)
			if d.HasErrors() {
				v = cty.DynamicVal
			}
			values[a.Name] = v
		}
	}
	return values, diags
}

// referencedLocals returns the already computed locals that expr refers to.
func referencedLocals(expr hcl.Expression, values map[string]cty.Value) map[string]cty.Value {
	out := map[string]cty.Value{}
	for _, tr := range expr.Variables() {
		if tr.RootName() != "local" || len(tr) < 2 {
			continue
		}
		if name, ok := traversalStep(tr[1]); ok {
			if v, ok := values[name]; ok {
				out[name] = v
			}
		}
	}
	return out
}
