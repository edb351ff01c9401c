package dsl

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// MaxMatrixCombinations bounds the number of nodes one matrix step may
// expand into, so that a typo in a list cannot plan thousands of
// containers.
const MaxMatrixCombinations = 256

// matrixSpec is a decoded matrix attribute.
type matrixSpec struct {
	keys   []string   // declaration order
	combos [][]string // values in key order, expansion order
}

// matrixEntry is one written-out element of an include or exclude list.
type matrixEntry struct {
	values map[string]string
	rng    hcl.Range
}

// decodeMatrix decodes matrix = { KEY = [values...], exclude = [...],
// include = [...] }. Combinations come out in a fixed order: the cartesian
// product of the keys in declaration order, the first key varying slowest,
// without the excluded ones, then the included ones in the order written.
func (l *loader) decodeMatrix(a *hcl.Attribute) (*matrixSpec, hcl.Diagnostics) {
	pairs, d := hcl.ExprMap(a.Expr)
	if d.HasErrors() {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid Matrix",
			Detail:   "matrix must be written out as an object of lists, for example matrix = { go = [\"1.25\", \"1.26\"], arch = [\"amd64\", \"arm64\"] }, optionally with exclude = [{ ... }] and include = [{ ... }] lists of objects.",
			Subject:  a.Expr.Range().Ptr(),
		}}
	}
	var diags hcl.Diagnostics
	spec := &matrixSpec{}
	values := map[string][]string{}
	var exclude, include []matrixEntry
	seen := map[string]hcl.Range{}
	for _, p := range pairs {
		key := hcl.ExprAsKeyword(p.Key)
		if key == "" {
			k, d := p.Key.Value(nil)
			if d.HasErrors() || k.Type() != cty.String || !k.IsKnown() || k.IsNull() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid Matrix Key",
					Detail:   "A matrix key must be a literal name such as go or arch, so that steps can read it as matrix.NAME.",
					Subject:  p.Key.Range().Ptr(),
				})
				continue
			}
			key = k.AsString()
		}
		if first, dup := seen[key]; dup {
			diags = append(diags, duplicate("Matrix Key", key, first, p.Key.Range()))
			continue
		}
		seen[key] = p.Key.Range()
		switch key {
		case "exclude":
			exclude, d = l.matrixEntries(key, p.Value)
			diags = append(diags, d...)
			continue
		case "include":
			include, d = l.matrixEntries(key, p.Value)
			diags = append(diags, d...)
			continue
		}
		if !hclsyntaxValidIdent(key) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Matrix Key",
				Detail:   fmt.Sprintf("%q is not a valid matrix key. Use letters, digits, underscores and dashes, starting with a letter, so that steps can read it as matrix.NAME.", key),
				Subject:  p.Key.Range().Ptr(),
			})
			continue
		}
		vals, ranges, d := l.staticStrings(&hcl.Attribute{Name: "matrix." + key, Expr: p.Value, Range: p.Value.Range(), NameRange: p.Key.Range()})
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if len(vals) == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty Matrix",
				Detail:   fmt.Sprintf("matrix.%s lists no values, so the step would never run. List at least one value, or remove the key.", key),
				Subject:  p.Value.Range().Ptr(),
			})
			continue
		}
		dupVal := map[string]bool{}
		ok := true
		for i, v := range vals {
			if problem := matrixValueProblem(v); problem != "" {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid Matrix Value", Detail: problem, Subject: ranges[i].Ptr()})
				ok = false
			} else if dupVal[v] {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate Matrix Value",
					Detail:   fmt.Sprintf("%q is listed twice in matrix.%s. Remove one of the entries.", v, key),
					Subject:  ranges[i].Ptr(),
				})
				ok = false
			}
			dupVal[v] = true
		}
		if ok {
			spec.keys = append(spec.keys, key)
			values[key] = vals
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if len(spec.keys) == 0 {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty Matrix",
			Detail:   "matrix names no key with values. Give at least one key with a list of values, for example matrix = { go = [\"1.25\", \"1.26\"] }.",
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	// The cartesian product, first key slowest.
	combos := [][]string{{}}
	tooLarge := false
	for _, k := range spec.keys {
		var next [][]string
		for _, c := range combos {
			for _, v := range values[k] {
				next = append(next, append(append([]string(nil), c...), v))
			}
			if len(next) > MaxMatrixCombinations*4 {
				tooLarge = true
				break
			}
		}
		combos = next
	}
	used := make([]bool, len(exclude))
	for _, c := range combos {
		excluded := false
		for i, ex := range exclude {
			if ex.matches(spec.keys, c) {
				excluded, used[i] = true, true
			}
		}
		if !excluded {
			spec.combos = append(spec.combos, c)
		}
	}
	for i, ex := range exclude {
		d := spec.checkEntryKeys("exclude", ex, false)
		diags = append(diags, d...)
		if !used[i] && !d.HasErrors() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Matrix Exclude Matches Nothing",
				Detail:   fmt.Sprintf("This exclude entry matches none of the combinations of %s, so it leaves nothing out. Check the keys and values for a typo, or remove the entry.", spec.describe(values)),
				Subject:  ex.rng.Ptr(),
			})
		}
	}
	for _, in := range include {
		d := spec.checkEntryKeys("include", in, true)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		c := make([]string, len(spec.keys))
		for i, k := range spec.keys {
			c[i] = in.values[k]
		}
		for _, have := range spec.combos {
			if strings.Join(have, "\x00") == strings.Join(c, "\x00") {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate Matrix Combination",
					Detail:   fmt.Sprintf("This include entry adds %s, which the matrix already has. Remove the entry.", comboName("", spec.keys, c)),
					Subject:  in.rng.Ptr(),
				})
				c = nil
				break
			}
		}
		if c != nil {
			spec.combos = append(spec.combos, c)
		}
	}
	switch {
	case len(spec.combos) == 0 && !tooLarge && !diags.HasErrors():
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty Matrix",
			Detail:   "exclude leaves out every combination of the matrix, so the step would never run. Remove some exclude entries.",
			Subject:  a.Expr.Range().Ptr(),
		})
	case tooLarge || len(spec.combos) > MaxMatrixCombinations:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Matrix Too Large",
			Detail:   fmt.Sprintf("This matrix expands into more than %d combinations. Split the step, use fewer values, or leave combinations out with exclude.", MaxMatrixCombinations),
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return spec, diags
}

// matrixEntries decodes an exclude or include list of objects of strings.
func (l *loader) matrixEntries(what string, expr hcl.Expression) ([]matrixEntry, hcl.Diagnostics) {
	attr := &hcl.Attribute{Name: "matrix." + what, Expr: expr, Range: expr.Range(), NameRange: expr.Range()}
	v, diags := l.evalStatic(attr, cty.List(cty.Map(cty.String)))
	if diags.HasErrors() || v.IsNull() {
		if !diags.HasErrors() {
			return nil, diags
		}
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid Matrix " + titleCase(what),
			Detail:   fmt.Sprintf("matrix.%s must be a list of objects naming matrix values, for example %s = [{ go = \"1.25\", arch = \"arm64\" }].", what, what),
			Subject:  expr.Range().Ptr(),
		}}
	}
	elems, _ := hcl.ExprList(expr)
	var out []matrixEntry
	for i, ev := range v.AsValueSlice() {
		rng := expr.Range()
		if len(elems) == v.LengthInt() {
			rng = elems[i].Range()
		}
		e := matrixEntry{values: map[string]string{}, rng: rng}
		if ev.IsNull() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Null Value",
				Detail:   fmt.Sprintf("The entries of matrix.%s must be objects, not null. Remove the null entry.", what),
				Subject:  rng.Ptr(),
			})
			continue
		}
		for it := ev.ElementIterator(); it.Next(); {
			k, val := it.Element()
			if val.IsNull() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Null Value",
					Detail:   fmt.Sprintf("matrix.%s gives %s = null. Give a value, or remove the key.", what, k.AsString()),
					Subject:  rng.Ptr(),
				})
				continue
			}
			e.values[k.AsString()] = val.AsString()
		}
		out = append(out, e)
	}
	return out, diags
}

// matches reports whether every key of the entry has the combination's
// value.
func (e matrixEntry) matches(keys, combo []string) bool {
	for i, k := range keys {
		if v, ok := e.values[k]; ok && v != combo[i] {
			return false
		}
	}
	return true
}

// checkEntryKeys checks that an exclude or include entry names only
// matrix keys; an include entry must give every key.
func (s *matrixSpec) checkEntryKeys(what string, e matrixEntry, all bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, k := range keysOf(e.values) {
		if !contains(s.keys, k) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown Matrix Key",
				Detail: fmt.Sprintf("This %s entry names the key %q, which the matrix does not have.%s The matrix keys are: %s.",
					what, k, didYouMean(k, s.keys), strings.Join(s.keys, ", ")),
				Subject: e.rng.Ptr(),
			})
		}
	}
	if len(e.values) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid Matrix " + titleCase(what),
			Detail:   fmt.Sprintf("This %s entry names no key. Give matrix values, for example { %s = %q }.", what, s.keys[0], "..."),
			Subject:  e.rng.Ptr(),
		})
	}
	if all {
		for _, k := range s.keys {
			if _, ok := e.values[k]; !ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Incomplete Matrix Include",
					Detail:   fmt.Sprintf("This include entry gives no value for %q. An included combination must give a value for every matrix key (%s).", k, strings.Join(s.keys, ", ")),
					Subject:  e.rng.Ptr(),
				})
			}
		}
		for _, v := range e.values {
			if problem := matrixValueProblem(v); problem != "" {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid Matrix Value", Detail: problem, Subject: e.rng.Ptr()})
			}
		}
	}
	return diags
}

func (s *matrixSpec) describe(values map[string][]string) string {
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = k + " = [" + strings.Join(quoteAll(values[k]), ", ") + "]"
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// matrixValueProblem returns "" for a value that may appear in a node name,
// or a Detail that says why it may not.
func matrixValueProblem(v string) string {
	if v == "" {
		return "A matrix value must not be empty: it becomes part of the step's name, such as go-test[go=1.26]. Remove the empty value."
	}
	if strings.ContainsAny(v, ",=[]\"'\\ \t\r\n") {
		return fmt.Sprintf("The matrix value %q contains a space, a quote, a backslash or one of , = [ ]. It becomes part of the step's name, such as go-test[go=1.26], so those characters are not allowed; map it to a plain name (for example with a local) instead.", v)
	}
	return ""
}

// hclsyntaxValidIdent reports whether s can be read as matrix.s.
func hclsyntaxValidIdent(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case (r >= '0' && r <= '9' || r == '-') && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// comboName returns "block[k1=v1,k2=v2]".
func comboName(block string, keys, combo []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + combo[i]
	}
	return block + "[" + strings.Join(parts, ",") + "]"
}

// expand returns one step per combination of the matrix, named
// "block[k=v,...]", sharing everything else with st.
func (l *loader) expandMatrix(st *Step, spec *matrixSpec) []*Step {
	out := make([]*Step, 0, len(spec.combos))
	for _, c := range spec.combos {
		cp := *st
		cp.Name = comboName(st.Block, spec.keys, c)
		cp.Matrix = make([]MatrixValue, len(spec.keys))
		for i, k := range spec.keys {
			cp.Matrix[i] = MatrixValue{Key: k, Value: c[i]}
		}
		for _, attr := range []string{"needs", "secrets"} {
			for i := 0; ; i++ {
				rng, ok := l.refRanges[refKey{step: st, attr: attr, i: i}]
				if !ok {
					break
				}
				l.refRanges[refKey{step: &cp, attr: attr, i: i}] = rng
			}
		}
		out = append(out, &cp)
	}
	return out
}

// matrixObject returns the matrix.* object of a combination.
func matrixObject(m []MatrixValue) cty.Value {
	attrs := make(map[string]cty.Value, len(m))
	for _, mv := range m {
		attrs[mv.Key] = cty.StringVal(mv.Value)
	}
	return cty.ObjectVal(attrs)
}
