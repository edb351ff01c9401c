package trust

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/loader"
)

// requiredVars returns the variables of cfg without a default: loaded
// without run-time values, they have no value.
func requiredVars(cfg *dsl.Config) map[string]*dsl.Variable {
	out := map[string]*dsl.Variable{}
	for name, v := range cfg.Variables {
		if !v.HasDefault {
			out[name] = v
		}
	}
	return out
}

// runtimeProtectionVars returns, sorted, the variables without a default
// that the protection rules of the loaded trusted config refer to, directly
// or through locals: the branches and requires of environments, every
// attribute of their gates, and the group blocks gates name.
func runtimeProtectionVars(res *loader.Result) []string {
	cfg := res.Config
	required := requiredVars(cfg)
	if len(required) == 0 || res.Parser == nil {
		return nil
	}
	var exprs []hcl.Expression
	for _, f := range res.Parser.Files() {
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			continue
		}
		for _, b := range body.Blocks {
			switch b.Type {
			case string(dsl.KindEnvironment):
				for _, a := range b.Body.Attributes {
					if a.Name == "branches" || a.Name == "requires" {
						exprs = append(exprs, a.Expr)
					}
				}
				for _, gb := range b.Body.Blocks {
					if gb.Type == "gate" {
						for _, a := range gb.Body.Attributes {
							exprs = append(exprs, a.Expr)
						}
					}
				}
			case "group":
				for _, a := range b.Body.Attributes {
					exprs = append(exprs, a.Expr)
				}
			}
		}
	}
	found := map[string]bool{}
	seenLocals := map[string]bool{}
	for len(exprs) > 0 {
		expr := exprs[len(exprs)-1]
		exprs = exprs[:len(exprs)-1]
		for _, tr := range expr.Variables() {
			if len(tr) < 2 {
				continue
			}
			attr, ok := tr[1].(hcl.TraverseAttr)
			if !ok {
				continue
			}
			switch tr.RootName() {
			case "var":
				if required[attr.Name] != nil {
					found[attr.Name] = true
				}
			case "local":
				if l := cfg.Locals[attr.Name]; l != nil && !seenLocals[attr.Name] && l.Expr != nil {
					seenLocals[attr.Name] = true
					exprs = append(exprs, l.Expr)
				}
			}
		}
	}
	out := make([]string, 0, len(found))
	for name := range found {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// withoutMissingVars drops the errors about variables of cfg that have no
// default ("Missing Required Variable", whose subject is the variable
// block): they are expected when the trusted config is loaded without
// run-time values, and runtimeProtectionVars has checked that no
// protection rule depends on them.
func withoutMissingVars(diags hcl.Diagnostics, cfg *dsl.Config) hcl.Diagnostics {
	required := requiredVars(cfg)
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil && declaresRequired(*d.Subject, required) {
			continue
		}
		out = append(out, d)
	}
	return out
}

func declaresRequired(rng hcl.Range, required map[string]*dsl.Variable) bool {
	for _, v := range required {
		if v.DeclRange == rng {
			return true
		}
	}
	return false
}

// varList renders variable names for messages: "var.a and var.b".
func varList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "var." + n
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

func hasHave(names []string) string {
	if len(names) == 1 {
		return "has"
	}
	return "have"
}
