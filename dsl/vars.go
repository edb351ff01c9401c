package dsl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// VarArg is one -var or -var-file option. Either Name and Value are set
// (from -var NAME=VALUE; the value is parsed as HCL when the variable's type
// is not a primitive type, as Terraform does) or File is set (a file of HCL
// attributes, one per variable).
type VarArg struct {
	Name, Value string
	File        string
}

// EnvVarPrefix is the prefix of environment variables that set pipeline
// variables: PIPELINE_VAR_name sets var.name.
const EnvVarPrefix = "PIPELINE_VAR_"

// ParseVarFlag parses the argument of -var ("NAME=VALUE") into a VarArg.
// A malformed argument is an error diagnostic.
func ParseVarFlag(s string) (VarArg, hcl.Diagnostics) {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return VarArg{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid -var Option",
			Detail: fmt.Sprintf("The option -var %q is not correctly specified. It must be a variable name and a value separated by an equals sign, like -var image=alpine:3.20.",
				s),
		}}
	}
	if !hclsyntax.ValidIdentifier(name) {
		return VarArg{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid -var Option",
			Detail:   fmt.Sprintf("%q in -var %q is not a valid variable name. Use the name of a variable block, like -var go_flags=-trimpath.", name, s),
		}}
	}
	return VarArg{Name: name, Value: value}, nil
}

// rawValue is a variable value before conversion to the declared type.
type rawValue struct {
	expr    hcl.Expression // nil for -var and environment values
	str     string         // the raw string for -var and environment values
	source  string         // how the user set it, for messages
	subject *hcl.Range
}

// assignVariables computes Config.VarValues from defaults, PIPELINE_VAR_*
// environment variables and -var/-var-file options, in that precedence.
func (l *loader) assignVariables() hcl.Diagnostics {
	var diags hcl.Diagnostics
	cfg := l.cfg
	raw := map[string]rawValue{}
	for _, name := range keysOf(cfg.Variables) {
		if s, ok := l.opts.Getenv(EnvVarPrefix + name); ok {
			raw[name] = rawValue{str: s, source: "the environment variable " + EnvVarPrefix + name}
		}
	}
	for _, a := range l.opts.Vars {
		if a.File != "" {
			diags = append(diags, l.readVarFile(a.File, raw)...)
			continue
		}
		if cfg.Variables[a.Name] == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for Undeclared Variable",
				Detail: fmt.Sprintf("The option -var %s=... sets a variable that is not declared.%s Declare it with a variable %q block, or remove the option.",
					a.Name, didYouMean(a.Name, keysOf(cfg.Variables)), a.Name),
			})
			continue
		}
		raw[a.Name] = rawValue{str: a.Value, source: "the option -var " + a.Name}
	}
	for _, name := range keysOf(cfg.Variables) {
		v := cfg.Variables[name]
		rv, set := raw[name]
		val, d := l.variableValue(v, rv, set)
		diags = append(diags, d...)
		cfg.VarValues[name] = val
	}
	return diags
}

// variableValue converts the value set for v (or its default) to its type.
// After an error it returns an unknown value, so that evaluation goes on
// without repeating the problem.
func (l *loader) variableValue(v *Variable, rv rawValue, set bool) (cty.Value, hcl.Diagnostics) {
	if !set {
		if v.HasDefault {
			return v.Default, l.validateVariable(v, v.Default, nil)
		}
		if l.brokenVars[v.Name] {
			return cty.UnknownVal(v.Type), nil
		}
		return cty.UnknownVal(v.Type), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing Required Variable",
			Detail: fmt.Sprintf("The variable %q has no default and no value was given. Set it with -var %s=VALUE, in a file passed with -var-file, or with the environment variable %s%s, or give the variable a default.",
				v.Name, v.Name, EnvVarPrefix, v.Name),
			Subject: v.DeclRange.Ptr(),
		}}
	}
	var val cty.Value
	var diags hcl.Diagnostics
	switch {
	case rv.expr != nil:
		val, diags = rv.expr.Value(nil)
		diags = fixRanges(diags, rv.expr)
	case v.Type.IsPrimitiveType() || v.Type == cty.DynamicPseudoType:
		val = cty.StringVal(rv.str)
	default:
		fname := fmt.Sprintf("<value for var.%s>", v.Name)
		expr, pDiags := hclsyntax.ParseExpression([]byte(rv.str), fname, hcl.InitialPos)
		diags = pDiags
		if !pDiags.HasErrors() {
			l.parser.files[fname] = &hcl.File{Bytes: []byte(rv.str)}
			val, diags = expr.Value(nil)
		}
	}
	if diags.HasErrors() {
		return cty.UnknownVal(v.Type), diags
	}
	conv, err := convert.Convert(val, v.Type)
	if err != nil {
		return cty.UnknownVal(v.Type), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid Value for Variable",
			Detail: fmt.Sprintf("The value set by %s does not match the type %s of variable %q: %s. Change the value.",
				rv.source, typeexpr.TypeString(v.Type), v.Name, err),
			Subject: rv.subject,
		}}
	}
	return conv, l.validateVariable(v, conv, rv.subject)
}

// validateVariable runs the validation blocks of v against its final value.
func (l *loader) validateVariable(v *Variable, val cty.Value, subject *hcl.Range) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{v.Name: val})},
		Functions: l.funcs,
	}
	for _, vv := range v.Validations {
		res, d := vv.Condition.Value(ctx)
		diags = append(diags, fixRanges(d, vv.Condition)...)
		if d.HasErrors() || !res.IsKnown() {
			continue
		}
		res, err := convert.Convert(res, cty.Bool)
		if err != nil || res.IsNull() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Validation Condition",
				Detail:   fmt.Sprintf("The condition of a validation of variable %q must be true or false. Write a bool expression such as length(var.%s) > 0.", v.Name, v.Name),
				Subject:  vv.Condition.Range().Ptr(),
			})
			continue
		}
		if res.False() {
			subj := subject
			if subj == nil {
				subj = vv.Condition.Range().Ptr()
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Value for Variable",
				Detail:   fmt.Sprintf("%s This was checked by the validation rule at %s; change the value of var.%s.", vv.ErrorMessage, vv.DeclRange, v.Name),
				Subject:  subj,
			})
		}
	}
	return diags
}

// readVarFile reads a -var-file (HCL attributes, or a JSON object when the
// name ends in .json) into raw, replacing earlier values.
func (l *loader) readVarFile(path string, raw map[string]rawValue) hcl.Diagnostics {
	b, err := l.opts.ReadFile(path)
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot Read Variables File",
			Detail:   fmt.Sprintf("The file %q given with -var-file could not be read: %s. Check the path.", path, err),
		}}
	}
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(path, ".json") {
		f, diags = hcljson.Parse(b, path)
	} else {
		f, diags = hclsyntax.ParseConfig(b, path, hcl.InitialPos)
	}
	if f == nil || diags.HasErrors() {
		return diags
	}
	l.parser.files[path] = f
	attrs, aDiags := f.Body.JustAttributes()
	diags = append(diags, aDiags...)
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		attr := attrs[n]
		if l.cfg.Variables[n] == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for Undeclared Variable",
				Detail: fmt.Sprintf("The variables file %q sets %q, which is not declared.%s Declare it with a variable %q block, or remove the line.",
					path, n, didYouMean(n, keysOf(l.cfg.Variables)), n),
				Subject: attr.NameRange.Ptr(),
			})
			continue
		}
		raw[n] = rawValue{expr: attr.Expr, source: "the variables file " + path, subject: attr.Expr.Range().Ptr()}
	}
	return diags
}
