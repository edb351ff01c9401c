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
	case "environments":
		return "environment.production"
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

// checkRefs checks every reference of expr against the namespaces. When
// runtime is false, run.* and release.* are not allowed: attr names the
// attribute for the diagnostic.
func (e *evaluator) checkRefs(expr hcl.Expression, attr string, runtime bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, tr := range expr.Variables() {
		if d := e.checkTraversal(tr, attr, runtime); d != nil {
			diags = append(diags, d)
		}
	}
	return diags
}

func (e *evaluator) checkTraversal(tr hcl.Traversal, attr string, runtime bool) *hcl.Diagnostic {
	root := tr.RootName()
	rng := tr.SourceRange()
	var name string
	var nameOK bool
	if len(tr) > 1 {
		name, nameOK = traversalStep(tr[1])
	}
	attrDiag := func(ns string, valid []string) *hcl.Diagnostic {
		if len(tr) < 2 || !nameOK || contains(valid, name) {
			return nil
		}
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported Attribute",
			Detail: fmt.Sprintf("%s has no attribute %q.%s The %s namespace has: %s.",
				ns, name, didYouMean(name, valid), ns, strings.Join(valid, ", ")),
			Subject: rng.Ptr(),
		}
	}
	switch root {
	case "var":
		if nameOK && e.variables[name] == nil {
			return undeclared("Variable", "var."+name, name, keysOf(e.variables), rng,
				fmt.Sprintf("Declare it with a variable %q block, or fix the name.", name))
		}
	case "local":
		if nameOK && e.locals[name] == nil {
			return undeclared("Local Value", "local."+name, name, keysOf(e.locals), rng,
				fmt.Sprintf("Define it in a locals block (%s = ...), or fix the name.", name))
		}
	case "git":
		return attrDiag("git", gitAttrs)
	case "run", "release":
		if !runtime {
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Run-Time Value Not Allowed Here",
				Detail: fmt.Sprintf("%s is only known while a run executes, but %s is evaluated when the config is loaded. "+
					"Use var.*, local.* and git.* here, and refer to %s.* in step attributes (run, command, env, image, workdir, when) instead.", root, attr, root),
				Subject: rng.Ptr(),
			}
		}
		if root == "run" {
			return attrDiag("run", runAttrs)
		}
		if d := attrDiag("release", releaseAttrs); d != nil {
			return d
		}
		if len(tr) > 2 && (name == "artifacts" || name == "images") {
			item, ok := traversalStep(tr[2])
			list, what, block := e.artifacts, "Artifact", "artifact"
			if name == "images" {
				list, what, block = e.images, "Image", "image"
			}
			if ok && !containsSorted(list, item) {
				return undeclared(what, "release."+name+"."+item, item, list, rng,
					fmt.Sprintf("Declare it with an %s %q block inside a package stage, or fix the name.", block, item))
			}
		}
	default:
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Reference to Unknown Namespace",
			Detail: fmt.Sprintf("%q is not something an expression can refer to.%s Expressions may refer to var.NAME, local.NAME, git.*, run.id and release.* (version, artifacts.NAME, images.NAME); stage and step references belong in needs, requires and secrets only.",
				root, didYouMean(root, namespaces)),
			Subject: rng.Ptr(),
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsSorted(list []string, s string) bool {
	i := sort.SearchStrings(list, s)
	return i < len(list) && list[i] == s
}
