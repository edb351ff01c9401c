package dsl

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// The status functions of a step's when: success() (the default) runs the
// step only when everything it depends on succeeded, always() runs it
// once everything it depends on has finished, whatever the outcome,
// failure() only when something it depends on failed. The engine decides
// that part when the step is about to start; in the expression they are
// true, so that failure() && git.branch == "main" means what it says.
const (
	RunOnSuccess = "success"
	RunAlways    = "always"
	RunOnFailure = "failure"
)

var statusFuncNames = []string{RunAlways, RunOnFailure, RunOnSuccess}

// statusFuncs are in scope in a step's when only.
var statusFuncs = func() map[string]function.Function {
	out := map[string]function.Function{}
	for _, name := range statusFuncNames {
		out[name] = function.New(&function.Spec{
			Type: function.StaticReturnType(cty.Bool),
			Impl: func([]cty.Value, cty.Type) (cty.Value, error) { return cty.True, nil },
		})
	}
	return out
}()

// whenStatus returns the status function of a when expression: the whole
// expression, or an operand of its top-level && chain. A status function
// anywhere else is an error, since its meaning would not be what it reads.
func whenStatus(expr hcl.Expression) (string, hcl.Diagnostics) {
	if expr == nil {
		return RunOnSuccess, nil
	}
	var found []*hclsyntax.FunctionCallExpr
	var walk func(e hclsyntax.Expression)
	walk = func(e hclsyntax.Expression) {
		switch x := e.(type) {
		case *hclsyntax.FunctionCallExpr:
			if contains(statusFuncNames, x.Name) {
				found = append(found, x)
				return
			}
		case *hclsyntax.BinaryOpExpr:
			if x.Op == hclsyntax.OpLogicalAnd {
				walk(x.LHS)
				walk(x.RHS)
				return
			}
		case *hclsyntax.ParenthesesExpr:
			walk(x.Expression)
			return
		}
	}
	syn, ok := expr.(hclsyntax.Expression)
	if !ok {
		return RunOnSuccess, nil
	}
	walk(syn)
	allowed := map[*hclsyntax.FunctionCallExpr]bool{}
	for _, f := range found {
		allowed[f] = true
	}
	var diags hcl.Diagnostics
	_ = hclsyntax.VisitAll(syn, func(n hclsyntax.Node) hcl.Diagnostics {
		if f, ok := n.(*hclsyntax.FunctionCallExpr); ok && contains(statusFuncNames, f.Name) && !allowed[f] {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Status Function Not Allowed Here",
				Detail: fmt.Sprintf("%s() decides whether the step runs after its dependencies; it can only be the whole when, or joined to the rest with &&, for example when = failure() && git.branch == \"main\". It cannot be negated, compared or joined with ||.",
					f.Name),
				Subject: f.Range().Ptr(),
			})
		}
		return nil
	})
	status := RunOnSuccess
	for i, f := range found {
		if i > 0 && f.Name != found[0].Name {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Conflicting Status Functions",
				Detail:   fmt.Sprintf("This when uses both %s() and %s(). Use one of always(), failure() and success().", found[0].Name, f.Name),
				Subject:  f.Range().Ptr(),
			})
			continue
		}
		status = f.Name
	}
	return status, diags
}

// statusContext returns a child of ctx in which the status functions are
// defined, for evaluating a step's when.
func statusContext(ctx *hcl.EvalContext) *hcl.EvalContext {
	c := ctx.NewChild()
	c.Functions = statusFuncs
	return c
}
