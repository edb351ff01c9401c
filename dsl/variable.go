package dsl

import (
	"fmt"
	"sort"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var variableBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"},
		{Name: "default"},
		{Name: "description"},
		{Name: "sensitive"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

// decodeVariableBlock decodes a variable block. The default is evaluated
// without any variables or functions, as in Terraform.
func decodeVariableBlock(block *hcl.Block) (*Variable, hcl.Diagnostics) {
	v := &Variable{
		Name:      block.Labels[0],
		Type:      cty.DynamicPseudoType,
		DeclRange: block.DefRange,
	}
	diags := checkName("variable", block)
	content, cDiags := block.Body.Content(variableBlockSchema)
	diags = append(diags, cDiags...)

	var defaults *typeexpr.Defaults
	if attr, ok := content.Attributes["type"]; ok {
		ty, def, tDiags := typeexpr.TypeConstraintWithDefaults(attr.Expr)
		diags = append(diags, tDiags...)
		if !tDiags.HasErrors() {
			v.Type, defaults = ty, def
		}
	}
	if attr, ok := content.Attributes["description"]; ok {
		diags = append(diags, decodeLiteralString(attr, &v.Description)...)
	}
	if attr, ok := content.Attributes["sensitive"]; ok {
		diags = append(diags, decodeLiteralBool(attr, &v.Sensitive)...)
	}
	if attr, ok := content.Attributes["default"]; ok {
		val, vDiags := attr.Expr.Value(nil)
		diags = append(diags, fixRanges(vDiags, attr.Expr)...)
		if !vDiags.HasErrors() {
			if defaults != nil {
				val = defaults.Apply(val)
			}
			conv, err := convert.Convert(val, v.Type)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid Default Value",
					Detail:   fmt.Sprintf("The default value of variable %q does not match its type %s: %s. Change the default or the type.", v.Name, typeexpr.TypeString(v.Type), err),
					Subject:  attr.Expr.Range().Ptr(),
				})
			} else {
				v.Default, v.HasDefault = conv, true
			}
		}
	}
	for _, b := range content.Blocks {
		vc, d := b.Body.Content(validationBlockSchema)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		val := &VariableValidation{Condition: vc.Attributes["condition"].Expr, DeclRange: b.DefRange}
		diags = append(diags, decodeLiteralString(vc.Attributes["error_message"], &val.ErrorMessage)...)
		for _, tr := range val.Condition.Variables() {
			name, _ := traversalStep(safeStep(tr, 1))
			if tr.RootName() != "var" || name != v.Name {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid Validation Condition",
					Detail:   fmt.Sprintf("A validation condition of variable %q may only refer to var.%s. Remove the other references.", v.Name, v.Name),
					Subject:  tr.SourceRange().Ptr(),
				})
			}
		}
		v.Validations = append(v.Validations, val)
	}
	return v, diags
}

func safeStep(tr hcl.Traversal, i int) hcl.Traverser {
	if i < len(tr) {
		return tr[i]
	}
	return hcl.TraverseRoot{}
}

// decodeLiteralString decodes an attribute that must be a constant string.
func decodeLiteralString(attr *hcl.Attribute, into *string) hcl.Diagnostics {
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return fixRanges(diags, attr.Expr)
	}
	if v.IsNull() || !v.IsKnown() || !v.Type().Equals(cty.String) {
		if c, err := convert.Convert(v, cty.String); err == nil && !c.IsNull() && c.IsKnown() {
			*into = c.AsString()
			return diags
		}
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect Attribute Type",
			Detail:   fmt.Sprintf("The %s attribute must be a string, for example %s = \"...\".", attr.Name, attr.Name),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	*into = v.AsString()
	return diags
}

// decodeLiteralBool decodes an attribute that must be a constant bool.
func decodeLiteralBool(attr *hcl.Attribute, into *bool) hcl.Diagnostics {
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		return fixRanges(diags, attr.Expr)
	}
	if !v.IsKnown() || v.IsNull() || !v.Type().Equals(cty.Bool) {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect Attribute Type",
			Detail:   fmt.Sprintf("The %s attribute must be true or false, written without quotes or references, for example %s = true.", attr.Name, attr.Name),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	*into = v.True()
	return diags
}

// validIdentifier is hclsyntax.ValidIdentifier, which runs the whole HCL
// scanner, with a fast path for ASCII names: letters and underscore first,
// then letters, digits, underscores and dashes.
func validIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return hclsyntax.ValidIdentifier(s)
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
		case i > 0 && ('0' <= c && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// checkName reports a block label that is not a valid identifier, since
// the block could then not be referred to.
func checkName(kind string, block *hcl.Block) hcl.Diagnostics {
	name := block.Labels[0]
	if validIdentifier(name) {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid Name",
		Detail: fmt.Sprintf("%q is not a valid %s name. A name must start with a letter or underscore and may contain letters, digits, underscores and dashes, so that it can be referred to.",
			name, kind),
		Subject: block.LabelRanges[0].Ptr(),
	}}
}

// SensitiveValues returns the strings in the values of the variables
// declared sensitive = true, sorted, each once: every string of a list,
// map or object value, and numbers and bools as they print. Unknown
// values (a required variable that was not set) give nothing.
func (c *Config) SensitiveValues() []string {
	set := map[string]bool{}
	for name, v := range c.Variables {
		if v == nil || !v.Sensitive {
			continue
		}
		val, ok := c.VarValues[name]
		if !ok || val == cty.NilVal {
			continue
		}
		_ = cty.Walk(val, func(_ cty.Path, leaf cty.Value) (bool, error) {
			if !leaf.IsKnown() || leaf.IsNull() || !leaf.Type().IsPrimitiveType() {
				return true, nil
			}
			if s, err := convert.Convert(leaf, cty.String); err == nil && s.AsString() != "" {
				set[s.AsString()] = true
			}
			return true, nil
		})
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
