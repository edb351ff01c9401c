package dsl

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Template is a template block: step attributes that steps take with
// extends = template.NAME. Its attributes are merged into each step that
// extends it when the config is loaded (see Step.Extends), so the rest of
// the program sees only steps.
type Template struct {
	Name string
	// Extends names the template this one extends; "" when none.
	Extends   string
	DeclRange hcl.Range

	own      hcl.Attributes // the block's own attributes
	extRange hcl.Range      // range of the extends reference
	// resolved holds the attributes with those of the templates it
	// extends merged in; nil until resolved, or when the chain is broken.
	resolved hcl.Attributes
	chain    []string
	broken   bool
	state    int // 0 unvisited, 1 visiting, 2 done
}

// templateBlockSchema is the step schema: a template holds step attributes.
var templateBlockSchema = stepBlockSchema

// declareTemplate decodes a template block in the first pass, before any
// step is decoded. Unknown attributes are reported at the template.
func (l *loader) declareTemplate(b *hcl.Block) hcl.Diagnostics {
	t := &Template{Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName("template", b)
	content, d := b.Body.Content(templateBlockSchema)
	diags = append(diags, d...)
	if !l.unique("template", t.Name, b, &diags) {
		return diags
	}
	t.own = content.Attributes
	if a, ok := t.own["extends"]; ok {
		name, d := templateRef(a)
		diags = append(diags, d...)
		t.Extends, t.extRange = name, a.Expr.Range()
		if d.HasErrors() {
			t.broken = true
		}
	}
	if l.templates == nil {
		l.templates = map[string]*Template{}
	}
	l.templates[t.Name] = t
	l.cfg.Templates[t.Name] = t
	return diags
}

// templateRef decodes extends = template.NAME.
func templateRef(a *hcl.Attribute) (string, hcl.Diagnostics) {
	tr, d := hcl.AbsTraversalForExpr(a.Expr)
	if !d.HasErrors() && len(tr) == 2 && tr.RootName() == "template" {
		if name, ok := traversalStep(tr[1]); ok {
			return name, nil
		}
	}
	return "", hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid Template Reference",
		Detail:   "extends must name a template without quotes, for example extends = template.go.",
		Subject:  a.Expr.Range().Ptr(),
	}}
}

// resolveTemplates merges each template with the templates it extends and
// reports unknown templates and cycles, once, at the template.
func (l *loader) resolveTemplates() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range keysOf(l.templates) {
		diags = append(diags, l.resolveTemplate(l.templates[name], nil)...)
	}
	return diags
}

func (l *loader) resolveTemplate(t *Template, path []string) hcl.Diagnostics {
	switch t.state {
	case 2:
		return nil
	case 1:
		cycle := append(path[indexOf(path, t.Name):], t.Name)
		for i := range cycle {
			cycle[i] = "template." + cycle[i]
		}
		t.broken = true
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Template Cycle",
			Detail:   fmt.Sprintf("The templates %s extend each other, so none of them can be resolved. Remove one of the extends references.", strings.Join(cycle, " -> ")),
			Subject:  t.extRange.Ptr(),
		}}
	}
	t.state = 1
	defer func() { t.state = 2 }()
	if t.broken {
		return nil
	}
	if t.Extends == "" {
		t.resolved = t.own
		return nil
	}
	parent := l.templates[t.Extends]
	if parent == nil {
		t.broken = true
		return hcl.Diagnostics{undeclared("Template", "template."+t.Extends, t.Extends, keysOf(l.templates), t.extRange,
			fmt.Sprintf("Declare it with a template %q block, or fix the name.", t.Extends))}
	}
	diags := l.resolveTemplate(parent, append(path, t.Name))
	if parent.broken || parent.resolved == nil {
		t.broken = true
		return diags
	}
	merged, d := mergeAttrs(parent.resolved, t.own)
	t.resolved = merged
	t.chain = append([]string{parent.Name}, parent.chain...)
	return append(diags, d...)
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return 0
}

// applyTemplate returns the step's attributes with those of the template
// it extends merged in, and the chain of templates.
func (l *loader) applyTemplate(a *hcl.Attribute, attrs hcl.Attributes) (hcl.Attributes, []string, hcl.Diagnostics) {
	name, diags := templateRef(a)
	if diags.HasErrors() {
		return attrs, nil, diags
	}
	t := l.templates[name]
	if t == nil {
		return attrs, nil, hcl.Diagnostics{undeclared("Template", "template."+name, name, keysOf(l.templates), a.Expr.Range(),
			fmt.Sprintf("Declare it with a template %q block holding the shared step attributes, or fix the name.", name))}
	}
	if t.broken || t.resolved == nil {
		return attrs, nil, nil // reported at the template
	}
	merged, d := mergeAttrs(t.resolved, attrs)
	return merged, append([]string{name}, t.chain...), d
}

// inherited maps each attribute of merged that the step does not set
// itself to the template of chain (nearest first) that sets it.
func (l *loader) inherited(chain []string, own hcl.Attributes, merged hcl.Attributes) map[string]string {
	out := map[string]string{}
	for name := range merged {
		if _, mine := own[name]; mine {
			continue
		}
		for _, t := range chain {
			if tm := l.templates[t]; tm != nil && tm.own[name] != nil {
				out[name] = t
				break
			}
		}
	}
	return out
}

// mergeAttrs returns base with over's attributes on top. env maps are
// merged key by key, over's keys winning; every other attribute of over
// replaces base's. extends is not inherited.
func mergeAttrs(base, over hcl.Attributes) (hcl.Attributes, hcl.Diagnostics) {
	out := make(hcl.Attributes, len(base)+len(over))
	for k, a := range base {
		if k != "extends" {
			out[k] = a
		}
	}
	var diags hcl.Diagnostics
	for k, a := range over {
		if k == "env" && out["env"] != nil {
			m, d := mergeEnv(out["env"], a)
			diags = append(diags, d...)
			out[k] = m
			continue
		}
		out[k] = a
	}
	return out, diags
}

// mergeEnv merges two env maps written out as { NAME = value }: the
// entries of over replace base's entries of the same name.
func mergeEnv(base, over *hcl.Attribute) (*hcl.Attribute, hcl.Diagnostics) {
	b, bok := base.Expr.(*hclsyntax.ObjectConsExpr)
	o, ook := over.Expr.(*hclsyntax.ObjectConsExpr)
	if !bok || !ook {
		bad := base
		if bok {
			bad = over
		}
		return over, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Env Cannot Be Merged",
			Detail:   "A step and the template it extends both set env, so the two maps are merged; for that both must be written out as { NAME = value, ... }, not computed. Write this env map out, or set env in only one of them.",
			Subject:  bad.Expr.Range().Ptr(),
		}}
	}
	overKeys := map[string]bool{}
	for _, it := range o.Items {
		if k := hcl.ExprAsKeyword(it.KeyExpr); k != "" {
			overKeys[k] = true
		} else if v, d := it.KeyExpr.Value(nil); !d.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type().FriendlyName() == "string" {
			overKeys[v.AsString()] = true
		}
	}
	merged := &hclsyntax.ObjectConsExpr{SrcRange: o.SrcRange, OpenRange: o.OpenRange}
	for _, it := range b.Items {
		k := hcl.ExprAsKeyword(it.KeyExpr)
		if k == "" {
			if v, d := it.KeyExpr.Value(nil); !d.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type().FriendlyName() == "string" {
				k = v.AsString()
			}
		}
		if !overKeys[k] {
			merged.Items = append(merged.Items, it)
		}
	}
	merged.Items = append(merged.Items, o.Items...)
	out := *over
	out.Expr = merged
	return &out, nil
}

// dedupeDiags drops a diagnostic identical (summary, detail, subject) to
// an earlier one: an error in a template or a matrix step's expression is
// found once per step or combination that uses it, and reported once.
func dedupeDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		subject         hcl.Range
	}
	seen := make(map[key]bool, len(diags))
	out := diags[:0]
	for _, d := range diags {
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.subject = *d.Subject
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}
