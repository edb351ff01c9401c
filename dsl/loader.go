package dsl

import (
	"fmt"
	"io/fs"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/pipeline-cd/pipeline/dsl/funcs"
)

// fileSchema lists the top-level blocks of a pipeline file. gate, step,
// artifact and image are accepted here only to explain where they belong.
var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "pipeline", LabelNames: []string{"name"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "secret", LabelNames: []string{"name"}},
		{Type: "group", LabelNames: []string{"name"}},
		{Type: string(KindBuild), LabelNames: []string{"name"}},
		{Type: string(KindTest), LabelNames: []string{"name"}},
		{Type: string(KindPackage), LabelNames: []string{"name"}},
		{Type: string(KindEnvironment), LabelNames: []string{"name"}},
		{Type: "notify", LabelNames: []string{"name"}},
		{Type: "gate", LabelNames: []string{"name"}},
		{Type: "step", LabelNames: []string{"name"}},
		{Type: "artifact", LabelNames: []string{"name"}},
		{Type: "image", LabelNames: []string{"name"}},
	},
}

// loader carries the state of one LoadDir call.
type loader struct {
	parser *Parser
	fsys   fs.FS
	opts   LoadOptions
	cfg    *Config
	funcs  map[string]function.Function
	eval   *evaluator
	ctx    *hcl.EvalContext // load-time context: var, local, git

	pipelineBlock *hcl.Block
	declared      map[string]hcl.Range // "kind name" -> first declaration
	artifactRange map[string]hcl.Range
	imageRange    map[string]hcl.Range
	// refRanges remembers where each resolved-later reference was written.
	refRanges map[refKey]hcl.Range
	// env is what env() reads; it becomes the evaluator's.
	env *envAccess
	// secretScopeRanges remembers where each environment of a secret's
	// environments attribute was written.
	secretScopeRanges map[*Secret][]hcl.Range
	// valueErrors is true when a variable or local had errors, so that
	// the unknown values they leave behind are not reported again.
	valueErrors bool
	// pipelineImageBroken is true when the pipeline image had errors, so
	// that steps relying on it are not reported as missing an image.
	pipelineImageBroken bool
	// brokenVars holds variables whose block had errors; they are not
	// reported again as missing.
	brokenVars map[string]bool
	gateGroups []gateGroupRef
	// skipped is true when a pipeline file was not parsed (it is not
	// text); its diagnostic already says so, and the pipeline block may be
	// in it, so a missing one is not reported too.
	skipped bool
}

// refKey identifies the i-th reference of an attribute of a stage or step.
type refKey struct {
	stage *Stage
	step  *Step
	attr  string
	i     int
}

// gateGroupRef is a "group:NAME" approver, checked once groups are known.
type gateGroupRef struct {
	name string
	rng  hcl.Range
}

// load decodes the parsed files into l.cfg.
func (l *loader) load(files []*hcl.File) hcl.Diagnostics {
	var diags hcl.Diagnostics
	l.env = newEnvAccess(l.opts.Getenv)
	l.funcs = funcs.Functions(l.fsys, l.env.lookup)
	l.declared = map[string]hcl.Range{}
	l.artifactRange = map[string]hcl.Range{}
	l.imageRange = map[string]hcl.Range{}
	l.refRanges = map[refKey]hcl.Range{}
	l.secretScopeRanges = map[*Secret][]hcl.Range{}
	l.brokenVars = map[string]bool{}
	fileMap := make(map[string]*hcl.File, len(files))
	var blocks hcl.Blocks
	for _, f := range files {
		fileMap[f.Body.MissingItemRange().Filename] = f
		content, d := f.Body.Content(fileSchema)
		diags = append(diags, d...)
		blocks = append(blocks, content.Blocks...)
	}
	l.eval = &evaluator{
		files:     fileMap,
		variables: l.cfg.Variables,
		locals:    l.cfg.Locals,
		envRead:   l.env,
	}
	l.cfg.eval = l.eval

	// Pass 1: declarations that evaluation depends on.
	var localAttrs []*hcl.Attribute
	for _, b := range blocks {
		switch b.Type {
		case "variable":
			v, d := decodeVariableBlock(b)
			diags = append(diags, d...)
			if l.unique("variable", v.Name, b, &diags) {
				l.cfg.Variables[v.Name] = v
				if d.HasErrors() {
					l.brokenVars[v.Name] = true
				}
			}
		case "locals":
			attrs, d := decodeLocalsBlock(b)
			diags = append(diags, d...)
			for _, a := range attrs {
				if first, dup := l.declared["local "+a.Name]; dup {
					diags = append(diags, duplicate("Local Value", a.Name, first, a.NameRange))
					continue
				}
				l.declared["local "+a.Name] = a.NameRange
				l.cfg.Locals[a.Name] = &Local{Name: a.Name, Expr: a.Expr, DeclRange: a.Range}
				localAttrs = append(localAttrs, a)
			}
		case string(KindPackage):
			l.declarePackageNames(b, &diags)
		}
	}
	l.eval.artifacts = sortedKeys(l.artifactRange)
	l.eval.images = sortedKeys(l.imageRange)
	vDiags := l.assignVariables()
	localValues, lDiags := l.evalLocals(localAttrs)
	diags = append(append(diags, vDiags...), lDiags...)
	l.valueErrors = vDiags.HasErrors() || lDiags.HasErrors()
	l.ctx = newBaseContext(l.cfg.VarValues, localValues, l.opts.Git, l.funcs)
	l.eval.base = l.ctx

	// Pass 2: everything else, in declaration order.
	for _, b := range blocks {
		diags = append(diags, l.decodeTopBlock(b)...)
	}
	if l.pipelineBlock == nil && !l.skipped {
		rng := hcl.Range{Filename: "", Start: hcl.InitialPos, End: hcl.InitialPos}
		if len(files) > 0 {
			rng = files[0].Body.MissingItemRange()
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing Pipeline Block",
			Detail:   "Every pipeline needs exactly one pipeline block, for example:\n\n  pipeline \"webapp\" {\n    image = \"golang:1.26\"\n  }\n\nAdd one to one of the pipeline files.",
			Subject:  &rng,
		})
	}
	diags = append(diags, l.resolve()...)
	diags = append(diags, l.checkRuntimeExprs()...)
	return diags
}

func sortedKeys(m map[string]hcl.Range) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unique records the declaration of a named block and reports a duplicate,
// citing the first declaration. It returns false for a duplicate.
func (l *loader) unique(kind, name string, b *hcl.Block, diags *hcl.Diagnostics) bool {
	key := kind + " " + name
	if first, dup := l.declared[key]; dup {
		what := titleCase(kind)
		if isStageKind(kind) {
			what = "Stage"
		}
		*diags = append(*diags, duplicate(what, name, first, b.LabelRanges[0]))
		return false
	}
	l.declared[key] = b.DefRange
	return true
}

func duplicate(what, name string, first, subject hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate " + what + " Name",
		Detail: fmt.Sprintf("A %s named %q was already declared at %s. Names must be unique; rename or remove one of them.",
			lowerWords(what), name, first),
		Subject: subject.Ptr(),
	}
}

// decodeTopBlock decodes one top-level block other than variable and
// locals.
func (l *loader) decodeTopBlock(b *hcl.Block) hcl.Diagnostics {
	var diags hcl.Diagnostics
	switch b.Type {
	case "variable", "locals":
		return nil
	case "pipeline":
		if l.pipelineBlock != nil {
			return hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Duplicate Pipeline Block",
				Detail: fmt.Sprintf("A pipeline block was already declared at %s. A directory holds exactly one pipeline; remove this block or move it to its own directory.",
					l.pipelineBlock.DefRange),
				Subject: b.DefRange.Ptr(),
			}}
		}
		l.pipelineBlock = b
		p, d := l.decodePipelineBlock(b)
		l.cfg.Pipeline = p
		return d
	case "secret":
		s, d := l.decodeSecretBlock(b)
		diags = append(diags, d...)
		if l.unique("secret", s.Name, b, &diags) {
			l.cfg.Secrets[s.Name] = s
		}
	case "group":
		g, d := l.decodeGroupBlock(b)
		diags = append(diags, d...)
		if l.unique("group", g.Name, b, &diags) {
			l.cfg.Groups[g.Name] = g
		}
	case "notify":
		n, d := l.decodeNotifyBlock(b)
		diags = append(diags, d...)
		if l.unique("notify", n.Name, b, &diags) {
			l.cfg.Notifies = append(l.cfg.Notifies, n)
		}
	case string(KindBuild), string(KindTest), string(KindPackage), string(KindEnvironment):
		s, d := l.decodeStageBlock(b)
		diags = append(diags, d...)
		if l.unique(b.Type, s.Name, b, &diags) {
			l.cfg.Stages = append(l.cfg.Stages, s)
		}
	case "gate":
		diags = append(diags, misplaced(b, "Gate Outside Environment", "A gate can only be declared inside an environment block. Move it into the environment it protects."))
	case "step":
		diags = append(diags, misplaced(b, "Step Outside Stage", "A step can only be declared inside a build, test, package or environment block. Move it into a stage."))
	case "artifact":
		diags = append(diags, misplaced(b, "Artifact Outside Package", "An artifact can only be declared inside a package block. Move it into a package stage."))
	case "image":
		img, d := l.decodeStepImageBlock(b)
		diags = append(diags, d...)
		if l.unique("step image", img.Name, b, &diags) {
			l.cfg.StepImages[img.Name] = img
		}
	}
	return diags
}

func misplaced(b *hcl.Block, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  b.TypeRange.Ptr(),
	}
}

// evalStatic evaluates an attribute that must be known when the config is
// loaded, converting it to ty. It returns a null value after an error.
func (l *loader) evalStatic(attr *hcl.Attribute, ty cty.Type) (cty.Value, hcl.Diagnostics) {
	v, diags := l.eval.evalValue(attr.Expr, l.ctx, attr.Name, ty, false)
	if diags.HasErrors() {
		return cty.NullVal(ty), diags
	}
	if !v.IsWhollyKnown() {
		if l.opts.Git.Known || l.valueErrors {
			// Only git.* values and the values of variables and locals
			// that had errors can be unknown at load time: in the latter
			// case the cause was already reported.
			return cty.NullVal(ty), diags
		}
		return cty.NullVal(ty), append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Value Not Known at Load Time",
			Detail: fmt.Sprintf("The %s attribute must be known when the config is loaded, but it depends on git.* values that are not known here (the directory is not in a git repository). Use a literal value or a variable instead.",
				attr.Name),
			Subject: attr.Expr.Range().Ptr(),
		})
	}
	return v, diags
}

// staticString evaluates a string attribute that must be known at load.
func (l *loader) staticString(attr *hcl.Attribute, into *string) hcl.Diagnostics {
	v, diags := l.evalStatic(attr, cty.String)
	if !v.IsNull() {
		*into = v.AsString()
	}
	return diags
}

// staticBool evaluates a bool attribute that must be known at load.
func (l *loader) staticBool(attr *hcl.Attribute, into *bool) hcl.Diagnostics {
	v, diags := l.evalStatic(attr, cty.Bool)
	if !v.IsNull() {
		*into = v.True()
	}
	return diags
}

// staticStrings evaluates a list(string) attribute and returns its
// elements with the range of each element (the attribute's range when the
// elements are not written out).
func (l *loader) staticStrings(attr *hcl.Attribute) ([]string, []hcl.Range, hcl.Diagnostics) {
	v, diags := l.evalStatic(attr, cty.List(cty.String))
	if v.IsNull() {
		return nil, nil, diags
	}
	elems, _ := hcl.ExprList(attr.Expr)
	out := make([]string, 0, v.LengthInt())
	ranges := make([]hcl.Range, 0, v.LengthInt())
	for i, ev := range v.AsValueSlice() {
		rng := attr.Expr.Range()
		if len(elems) == v.LengthInt() {
			rng = elems[i].Range()
		}
		if ev.IsNull() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Null Value",
				Detail:   fmt.Sprintf("The elements of %s must be strings, not null. Remove the null element.", attr.Name),
				Subject:  rng.Ptr(),
			})
			continue
		}
		out = append(out, ev.AsString())
		ranges = append(ranges, rng)
	}
	return out, ranges, diags
}
