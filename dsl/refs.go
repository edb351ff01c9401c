package dsl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
)

// didYouMean returns ` Did you mean "x"?` for the candidate closest to
// name (the first of sorted candidates on a tie), or "" when none is close. It is only called on the error path.
func didYouMean(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(name, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// traversalStep returns the name a traversal step selects: an attribute
// name or a string index key.
func traversalStep(t hcl.Traverser) (string, bool) {
	switch s := t.(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type().FriendlyName() == "string" && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

// addressRef is a reference like test.unit, step.x or secret.y decoded from
// an expression without evaluating it.
type addressRef struct {
	Kind, Name string
	Range      hcl.Range
}

// decodeAddressList decodes a list of two-part references such as
// needs = [test.unit, step.x]. what describes the expected form for the
// detail of a diagnostic ("stage addresses like test.unit").
func decodeAddressList(attr *hcl.Attribute, what string) ([]addressRef, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(attr.Expr)
	if diags.HasErrors() {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid Reference List",
			Detail:   fmt.Sprintf("The %s attribute must be a list of %s, written without quotes, for example [%s].", attr.Name, what, exampleFor(attr.Name)),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	var out []addressRef
	for _, e := range exprs {
		tr, tDiags := hcl.AbsTraversalForExpr(e)
		if tDiags.HasErrors() || len(tr) != 2 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Reference",
				Detail:   fmt.Sprintf("Each element of %s must be one of %s, written without quotes, for example %s.", attr.Name, what, exampleFor(attr.Name)),
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		name, ok := traversalStep(tr[1])
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Reference",
				Detail:   fmt.Sprintf("Each element of %s must be one of %s, for example %s.", attr.Name, what, exampleFor(attr.Name)),
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		out = append(out, addressRef{Kind: tr.RootName(), Name: name, Range: e.Range()})
	}
	return out, diags
}

func exampleFor(attr string) string {
	switch attr {
	case "requires":
		return "environment.beta"
	case "secrets":
		return "secret.deploy_token"
	default:
		return "test.unit or step.compile"
	}
}

// undeclared returns a "Reference to Undeclared ..." diagnostic with a
// "did you mean" suggestion among candidates.
func undeclared(what, addr, name string, candidates []string, rng hcl.Range, fix string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Reference to Undeclared " + what,
		Detail:   fmt.Sprintf("%s refers to %s %q, which is not declared.%s %s", addr, strings.ToLower(what), name, didYouMean(name, candidates), fix),
		Subject:  rng.Ptr(),
	}
}
