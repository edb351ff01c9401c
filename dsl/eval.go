package dsl

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// evaluator holds what expression evaluation needs after loading.
type evaluator struct {
	files     map[string]*hcl.File
	base      *hcl.EvalContext // var, local, git and functions
	variables map[string]*Variable
	locals    map[string]*Local
	artifacts []string // declared artifact names, sorted
	images    []string // declared image names, sorted
	// stages indexes Config.Stages by address, for Config.Stage.
	stages map[string]*Stage
	// zeroCtx is the run-time context of the zero Scope, built once when
	// loading; nil until then.
	zeroCtx *hcl.EvalContext
	// zeroSteps holds the values of each step evaluated with the zero Scope
	// when loading, for the steps that evaluated without any diagnostic.
	// It is read-only after loading.
	zeroSteps map[*Step]*StepValues
	// envRead is what env() reads (see Config.HideEnv).
	envRead *envAccess
}

var (
	gitAttrs     = []string{"author", "branch", "commit_count", "sha", "short_sha", "tag"}
	runAttrs     = []string{"id"}
	releaseAttrs = []string{"artifacts", "images", "version"}
	namespaces   = []string{"git", "local", "release", "run", "var"}
)

// gitValue returns the git.* object; every attribute is unknown when the
// git information is not known.
func gitValue(g GitInfo) cty.Value {
	if !g.Known {
		return cty.ObjectVal(map[string]cty.Value{
			"sha": cty.UnknownVal(cty.String), "short_sha": cty.UnknownVal(cty.String),
			"branch": cty.UnknownVal(cty.String), "tag": cty.UnknownVal(cty.String),
			"author": cty.UnknownVal(cty.String), "commit_count": cty.UnknownVal(cty.Number),
		})
	}
	count := cty.NumberIntVal(int64(g.CommitCount))
	if g.CommitCount < 0 {
		count = cty.UnknownVal(cty.Number)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"sha": cty.StringVal(g.SHA), "short_sha": cty.StringVal(g.ShortSHA),
		"branch": cty.StringVal(g.Branch), "tag": cty.StringVal(g.Tag),
		"author": cty.StringVal(g.Author), "commit_count": count,
	})
}

// namedStrings returns an object with one string attribute per name, taken
// from known when present there and unknown otherwise.
func namedStrings(names []string, known map[string]string) cty.Value {
	attrs := make(map[string]cty.Value, len(names)+len(known))
	for _, n := range names {
		attrs[n] = cty.UnknownVal(cty.String)
	}
	for n, v := range known {
		attrs[n] = cty.StringVal(v)
	}
	return cty.ObjectVal(attrs)
}

// runtimeContext returns a child of the base context with run.* and
// release.* taken from scope (unknown where scope leaves them empty).
func (e *evaluator) runtimeContext(scope Scope) *hcl.EvalContext {
	if e.zeroCtx != nil && scope.RunID == "" && scope.Release == nil {
		return e.zeroCtx
	}
	ctx := e.base.NewChild()
	runID := cty.UnknownVal(cty.String)
	if scope.RunID != "" {
		runID = cty.StringVal(scope.RunID)
	}
	version := cty.UnknownVal(cty.String)
	var arts, imgs map[string]string
	if r := scope.Release; r != nil {
		if r.Version != "" {
			version = cty.StringVal(r.Version)
		}
		arts, imgs = r.Artifacts, r.Images
	}
	ctx.Variables = map[string]cty.Value{
		"run": cty.ObjectVal(map[string]cty.Value{"id": runID}),
		"release": cty.ObjectVal(map[string]cty.Value{
			"version":   version,
			"artifacts": namedStrings(e.artifacts, arts),
			"images":    namedStrings(e.images, imgs),
		}),
	}
	return ctx
}

// source returns the source text of expr, or "" when its file is unknown.
func (e *evaluator) source(expr hcl.Expression) string {
	rng := expr.Range()
	f := e.files[rng.Filename]
	if f == nil || rng.End.Byte > len(f.Bytes) || rng.Start.Byte > rng.End.Byte {
		return ""
	}
	return string(rng.SliceBytes(f.Bytes))
}

// after names what makes an unknown expression known: "package" when it
// refers to release.artifacts or release.images, "run" otherwise.
func after(expr hcl.Expression) string {
	for _, tr := range expr.Variables() {
		if tr.RootName() == "release" && len(tr) > 1 {
			if n, ok := traversalStep(tr[1]); ok && (n == "artifacts" || n == "images") {
				return "package"
			}
		}
	}
	return "run"
}

// evalValue checks references, evaluates expr and converts the result to
// ty. attr names the attribute for diagnostics. A null result is an error.
func (e *evaluator) evalValue(expr hcl.Expression, ctx *hcl.EvalContext, attr string, ty cty.Type, runtime bool) (cty.Value, hcl.Diagnostics) {
	diags := e.checkRefs(expr, attr, runtime)
	if diags.HasErrors() {
		return cty.UnknownVal(ty), diags
	}
	v, vDiags := expr.Value(ctx)
	diags = append(diags, fixRanges(vDiags, expr)...)
	if vDiags.HasErrors() {
		return cty.UnknownVal(ty), diags
	}
	if v.IsNull() {
		return cty.UnknownVal(ty), append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Null Value",
			Detail:   fmt.Sprintf("The %s attribute must not be null. Give it a %s, or remove the attribute.", attr, ty.FriendlyName()),
			Subject:  expr.Range().Ptr(),
		})
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		return cty.UnknownVal(ty), append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect Attribute Type",
			Detail:   fmt.Sprintf("The %s attribute must be a %s: %s. Change the value to a %s.", attr, ty.FriendlyName(), err, ty.FriendlyName()),
			Subject:  expr.Range().Ptr(),
		})
	}
	return cv, diags
}

// text evaluates a string expression into a Text.
func (e *evaluator) text(expr hcl.Expression, ctx *hcl.EvalContext, attr string) (Text, hcl.Diagnostics) {
	v, diags := e.evalValue(expr, ctx, attr, cty.String, true)
	if diags.HasErrors() {
		return Text{Source: e.source(expr), After: after(expr)}, diags
	}
	return e.toText(v, expr), diags
}

func (e *evaluator) toText(v cty.Value, expr hcl.Expression) Text {
	if !v.IsKnown() || v.IsNull() {
		return Text{Source: e.source(expr), After: after(expr)}
	}
	return Text{Value: v.AsString(), Known: true, Source: e.source(expr)}
}

// EvalText evaluates a string expression of the config (an artifact path,
// an image context, the pipeline version, a webhook) with var.*, local.*,
// git.* and the run-time values of scope. A nil expr returns
// Text{Known: true} (""). Values not yet known come back with Known false.
// EvalText is safe for concurrent use.
func (c *Config) EvalText(expr hcl.Expression, scope Scope) (Text, hcl.Diagnostics) {
	if expr == nil {
		return Text{Known: true}, nil
	}
	if c.eval == nil {
		return Text{}, notLoaded()
	}
	return c.eval.text(expr, c.eval.runtimeContext(scope), "expression")
}

func notLoaded() hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Config Not Loaded",
		Detail:   "This Config was not returned by Parser.LoadDir, so its expressions cannot be evaluated. Load the config with LoadDir first.",
	}}
}

// EvalStep evaluates a step's run, command, image, env, workdir and when
// with var.*, local.*, git.* and the run-time values of scope (run.*,
// release.*). Parts not yet known come back as Text{Known: false} with
// their source text. Wrong types and references to artifacts or images
// that do not exist are error diagnostics. EvalStep is safe for concurrent
// use.
func (c *Config) EvalStep(stage *Stage, step *Step, scope Scope) (*StepValues, hcl.Diagnostics) {
	if c.eval == nil {
		return nil, notLoaded()
	}
	if scope.RunID == "" && scope.Release == nil {
		if sv := c.eval.zeroSteps[step]; sv != nil {
			return sv.clone(), nil
		}
	}
	return c.evalStep(step, c.eval.runtimeContext(scope))
}

// clone returns a copy of sv that shares nothing mutable with it.
func (sv *StepValues) clone() *StepValues {
	out := *sv
	if sv.Run != nil {
		t := *sv.Run
		out.Run = &t
	}
	if sv.Workdir != nil {
		t := *sv.Workdir
		out.Workdir = &t
	}
	out.Command = slices.Clone(sv.Command)
	out.Env = maps.Clone(sv.Env)
	return &out
}

func (c *Config) evalStep(step *Step, ctx *hcl.EvalContext) (*StepValues, hcl.Diagnostics) {
	e := c.eval
	var diags hcl.Diagnostics
	sv := &StepValues{When: Bool{Value: true, Known: true}}
	if step.Run != nil {
		t, d := e.text(step.Run, ctx, "run")
		diags = append(diags, d...)
		sv.Run = &t
	}
	if step.Command != nil {
		cmd, d := e.command(step.Command, ctx)
		diags = append(diags, d...)
		sv.Command = cmd
	}
	switch {
	case step.ImageRef != "":
		sv.Image = Text{Source: "image." + step.ImageRef, After: "image build"}
		sv.ImageRef = step.ImageRef
	case step.Image != nil:
		t, d := e.text(step.Image, ctx, "image")
		diags = append(diags, d...)
		sv.Image = t
	case c.Pipeline != nil && c.Pipeline.Image != "":
		sv.Image = Text{Value: c.Pipeline.Image, Known: true}
	default:
		sv.Image = Text{Known: true}
	}
	if step.Env != nil {
		env, d := e.env(step.Env, ctx)
		diags = append(diags, d...)
		sv.Env = env
	}
	if step.Workdir != nil {
		t, d := e.text(step.Workdir, ctx, "workdir")
		diags = append(diags, d...)
		sv.Workdir = &t
	}
	if step.When != nil {
		v, d := e.evalValue(step.When, ctx, "when", cty.Bool, true)
		diags = append(diags, d...)
		sv.When = Bool{Source: e.source(step.When)}
		if !d.HasErrors() && v.IsKnown() {
			sv.When.Value, sv.When.Known = v.True(), true
		} else {
			sv.When.After = after(step.When)
		}
	}
	return sv, diags
}

// command evaluates the exec-form command list.
func (e *evaluator) command(expr hcl.Expression, ctx *hcl.EvalContext) ([]Text, hcl.Diagnostics) {
	ty := cty.List(cty.String)
	v, diags := e.evalValue(expr, ctx, "command", ty, true)
	if diags.HasErrors() || !v.IsKnown() {
		return []Text{{Source: e.source(expr), After: after(expr)}}, diags
	}
	if v.LengthInt() == 0 {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty Command",
			Detail:   "The command attribute must list the program and its arguments, for example command = [\"make\", \"test\"].",
			Subject:  expr.Range().Ptr(),
		})
	}
	elems, _ := hcl.ExprList(expr)
	out := make([]Text, 0, v.LengthInt())
	for i, ev := range v.AsValueSlice() {
		src := expr
		if len(elems) == v.LengthInt() {
			src = elems[i]
		}
		if ev.IsNull() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Null Value",
				Detail:   "The elements of command must be strings, not null. Remove the null element or give it a value.",
				Subject:  src.Range().Ptr(),
			})
			continue
		}
		out = append(out, e.toText(ev, src))
	}
	return out, diags
}

// env evaluates a step's env map. Keys must be known when the config is
// loaded; values may be unknown until run time. A map written out as
// { NAME = value } is evaluated entry by entry, so that each diagnostic and
// each unknown value points at its own entry.
func (e *evaluator) env(expr hcl.Expression, ctx *hcl.EvalContext) (map[string]Text, hcl.Diagnostics) {
	if pairs, d := hcl.ExprMap(expr); !d.HasErrors() {
		return e.envPairs(pairs, ctx)
	}
	v, diags := e.evalValue(expr, ctx, "env", cty.Map(cty.String), true)
	if diags.HasErrors() {
		return nil, diags
	}
	if !v.IsKnown() {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Environment Names Not Known",
			Detail:   "The names of the env entries must be known when the config is loaded; only their values may use run.* and release.*. Write the env map as { NAME = value, ... }.",
			Subject:  expr.Range().Ptr(),
		})
	}
	out := make(map[string]Text, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		name := k.AsString()
		if !validEnvName(name) {
			diags = append(diags, invalidEnvName(name, expr.Range()))
		}
		if ev.IsNull() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Null Value",
				Detail:   fmt.Sprintf("The env value %s is null. Give it a string value or remove it.", name),
				Subject:  expr.Range().Ptr(),
			})
			continue
		}
		out[name] = e.toText(ev, expr)
	}
	return out, diags
}

func (e *evaluator) envPairs(pairs []hcl.KeyValuePair, ctx *hcl.EvalContext) (map[string]Text, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := make(map[string]Text, len(pairs))
	for _, p := range pairs {
		k, d := e.evalValue(p.Key, ctx, "env name", cty.String, false)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if !k.IsKnown() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Environment Names Not Known",
				Detail:   "The names of the env entries must be known when the config is loaded. Use a literal name.",
				Subject:  p.Key.Range().Ptr(),
			})
			continue
		}
		name := k.AsString()
		if !validEnvName(name) {
			diags = append(diags, invalidEnvName(name, p.Key.Range()))
		}
		if _, dup := out[name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate Environment Variable",
				Detail:   fmt.Sprintf("%s is set twice in this env map. Remove one of the entries.", name),
				Subject:  p.Key.Range().Ptr(),
			})
		}
		v, d := e.evalValue(p.Value, ctx, "env value "+name, cty.String, true)
		diags = append(diags, d...)
		out[name] = e.toText(v, p.Value)
	}
	return out, diags
}

func invalidEnvName(name string, rng hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid Environment Variable Name",
		Detail:   fmt.Sprintf("%q is not a valid environment variable name. Use letters, digits and underscores, not starting with a digit.", name),
		Subject:  rng.Ptr(),
	}
}

// fixRanges repairs diagnostics about expressions that HCL recovered from
// syntax errors: their ranges may lack a file name or end before they
// start. Such a subject is pointed at the start of expr instead.
func fixRanges(diags hcl.Diagnostics, expr hcl.Expression) hcl.Diagnostics {
	for _, d := range diags {
		if d.Subject != nil && !validRange(*d.Subject) {
			d.Subject = pointAt(expr.Range())
		}
		if d.Context != nil && !validRange(*d.Context) {
			d.Context = nil
		}
	}
	return diags
}

func validRange(r hcl.Range) bool {
	return r.Filename != "" && r.End.Byte >= r.Start.Byte
}

// pointAt returns r, shrunk to its start when it ends before it starts.
func pointAt(r hcl.Range) *hcl.Range {
	if r.End.Byte < r.Start.Byte {
		r.End = r.Start
	}
	return &r
}

// finalRanges is the last line of defence: a subject that still has no
// file name is dropped rather than shown pointing nowhere.
func finalRanges(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Subject != nil && d.Subject.Filename == "" {
			d.Subject = nil
		} else if d.Subject != nil {
			d.Subject = pointAt(*d.Subject)
		}
		if d.Context != nil && !validRange(*d.Context) {
			d.Context = nil
		}
	}
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// newBaseContext returns the load-time evaluation context.
func newBaseContext(vars, locals map[string]cty.Value, git GitInfo, funcs map[string]function.Function) *hcl.EvalContext {
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":   objectOrEmpty(vars),
			"local": objectOrEmpty(locals),
			"git":   gitValue(git),
		},
		Functions: funcs,
	}
}

func objectOrEmpty(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}
