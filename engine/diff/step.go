package diff

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/internal/keys"
)

// compareStep compares the attributes of a step present at both refs.
func (d *differ) compareStep(o object, bStage *dsl.Stage, b *dsl.Step, hStage *dsl.Stage, h *dsl.Step) {
	bv, _ := d.base.EvalStep(bStage, b, dsl.Scope{})
	hv, _ := d.head.EvalStep(hStage, h, dsl.Scope{})
	if bv == nil || hv == nil { // a config not returned by LoadDir: nothing to evaluate
		bv, hv = &dsl.StepValues{}, &dsl.StepValues{}
	}
	d.optTextField(o, "run", bv.Run, b.Run, hv.Run, h.Run)
	if !sameCommand(bv.Command, b.Command, hv.Command, h.Command) {
		d.field(o, "command", commandText(bv.Command, b.Command), commandText(hv.Command, h.Command))
	}
	// A step on the pipeline's default image at both refs follows that
	// default, whose change is reported once, on the pipeline.
	if b.Image != nil || h.Image != nil {
		d.textField(o, "image", bv.Image, b.Image, hv.Image, h.Image)
	}
	d.compareEnv(o, bv.Env, hv.Env, b.Env, h.Env)
	d.optTextField(o, "workdir", bv.Workdir, b.Workdir, hv.Workdir, h.Workdir)
	d.whenField(o, bv.When, b.When, hv.When, h.When)
	d.field(o, "secrets", joinList(b.Secrets), joinList(h.Secrets))
	d.field(o, "needs", joinList(b.Needs), joinList(h.Needs))
	d.field(o, "timeout", dsl.FormatDuration(b.Timeout, "none"), dsl.FormatDuration(h.Timeout, "none"))
	d.field(o, "retries", strconv.Itoa(b.Retries), strconv.Itoa(h.Retries))
	d.field(o, "runner", orDefault(b.Runner), orDefault(h.Runner))
	d.field(o, "pull", orDefault(b.Pull), orDefault(h.Pull))
	d.field(o, "privileged", strconv.FormatBool(b.Privileged), strconv.FormatBool(h.Privileged))
	d.field(o, "mounts", joinList(b.Mounts), joinList(h.Mounts))
	d.field(o, "inputs", joinList(b.Inputs), joinList(h.Inputs))
	d.field(o, "outputs", joinList(b.Outputs), joinList(h.Outputs))
	d.field(o, "caches", joinList(b.Caches), joinList(h.Caches))
	d.field(o, "user", orDefault(b.User), orDefault(h.User))
	d.field(o, "workspace", strconv.FormatBool(!b.NoWorkspace), strconv.FormatBool(!h.NoWorkspace))
}

func orDefault(s string) string {
	if s == "" {
		return "(default)"
	}
	return s
}

// textField records a change of an evaluated string attribute. Values are
// equal when their shown forms are, or when the source text is the same and
// the expression reads git.* or local.* (see Compare).
func (d *differ) textField(o object, name string, b dsl.Text, bExpr hcl.Expression, h dsl.Text, hExpr hcl.Expression) {
	if sameSourceVolatile(b, bExpr, h, hExpr) {
		return
	}
	d.field(o, name, shown(b), shown(h))
}

// optTextField is textField for attributes that may be absent (nil).
func (d *differ) optTextField(o object, name string, b *dsl.Text, bExpr hcl.Expression, h *dsl.Text, hExpr hcl.Expression) {
	switch {
	case b == nil && h == nil:
	case b == nil:
		d.change(o, Added, name, "", shown(*h))
	case h == nil:
		d.change(o, Removed, name, shown(*b), "")
	default:
		d.textField(o, name, *b, bExpr, *h, hExpr)
	}
}

// whenField records a change of a step's condition. A condition reading
// git.* or local.* at either ref is compared and shown by its source text
// (an absent one as "true"): its value depends on the commit each side was
// loaded from, so equal source would otherwise show as a change and a
// changed condition could evaluate alike and go unreported.
func (d *differ) whenField(o object, b dsl.Bool, bExpr hcl.Expression, h dsl.Bool, hExpr hcl.Expression) {
	if readsVolatile(bExpr) || readsVolatile(hExpr) {
		d.field(o, "when", whenSource(b, bExpr), whenSource(h, hExpr))
		return
	}
	d.field(o, "when", boolText(b), boolText(h))
}

// whenSource is a step condition's source text, or "true" when the step has
// none.
func whenSource(b dsl.Bool, expr hcl.Expression) string {
	if expr == nil {
		return "true"
	}
	return b.Source
}

func (d *differ) compareEnv(o object, b, h map[string]dsl.Text, bExpr, hExpr hcl.Expression) {
	bItems, hItems := envItems(bExpr), envItems(hExpr)
	for _, k := range keys.Union(b, h) {
		bt, bok := b[k]
		ht, hok := h[k]
		switch {
		case !bok:
			d.change(o, Added, "env."+k, "", shown(ht))
		case !hok:
			d.change(o, Removed, "env."+k, shown(bt), "")
		default:
			d.textField(o, "env."+k, bt, bItems[k], ht, hItems[k])
		}
	}
}

// envItems maps the keys of a literal env map to their value expressions.
func envItems(expr hcl.Expression) map[string]hcl.Expression {
	out := map[string]hcl.Expression{}
	if expr == nil {
		return out
	}
	pairs, diags := hcl.ExprMap(expr)
	if diags.HasErrors() {
		return out
	}
	for _, p := range pairs {
		k, kd := p.Key.Value(nil)
		if !kd.HasErrors() && k.IsKnown() && !k.IsNull() && k.Type().FriendlyName() == "string" {
			out[k.AsString()] = p.Value
		}
	}
	return out
}

// sameSourceVolatile reports whether two values come from identical source
// text that reads git.* or local.*, whose values differ between commits for
// reasons other than the config.
func sameSourceVolatile(b dsl.Text, bExpr hcl.Expression, h dsl.Text, hExpr hcl.Expression) bool {
	if bExpr == nil || hExpr == nil || b.Source == "" || b.Source != h.Source {
		return false
	}
	return readsVolatile(hExpr)
}

// readsVolatile reports whether an expression reads git.* or local.*; a nil
// expression reads nothing.
func readsVolatile(expr hcl.Expression) bool {
	if expr == nil {
		return false
	}
	for _, tr := range expr.Variables() {
		if root := tr.RootName(); root == "git" || root == "local" {
			return true
		}
	}
	return false
}

// shown is how a value appears in a report: the value when it is known and
// does not come from the environment, else the source text.
func shown(t dsl.Text) string {
	if !t.Known || readsEnvironment(t.Source) {
		return t.Source
	}
	return t.Value
}

// readsEnvironment reports whether source text calls env(), whose result may
// be a credential of the machine that loaded the config.
func readsEnvironment(src string) bool {
	for i := strings.Index(src, "env("); i >= 0; {
		if i == 0 || !isIdentByte(src[i-1]) {
			return true
		}
		next := strings.Index(src[i+1:], "env(")
		if next < 0 {
			return false
		}
		i += 1 + next
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// sameCommand reports whether two exec-form commands are equal element by
// element, by shown value or, for elements reading git.* or local.*, by
// source text (see sameSourceVolatile).
func sameCommand(b []dsl.Text, bExpr hcl.Expression, h []dsl.Text, hExpr hcl.Expression) bool {
	if bExpr == nil || hExpr == nil || len(b) != len(h) {
		return bExpr == nil && hExpr == nil
	}
	bElems, _ := hcl.ExprList(bExpr)
	hElems, _ := hcl.ExprList(hExpr)
	for i := range b {
		if shown(b[i]) == shown(h[i]) {
			continue
		}
		if len(bElems) != len(b) || len(hElems) != len(h) || !sameSourceVolatile(b[i], bElems[i], h[i], hElems[i]) {
			return false
		}
	}
	return true
}

// commandText renders an exec-form command as an HCL list, or "" when the
// step has none.
func commandText(cmd []dsl.Text, expr hcl.Expression) string {
	if expr == nil {
		return ""
	}
	parts := make([]string, len(cmd))
	for i, t := range cmd {
		parts[i] = strconv.Quote(shown(t))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func boolText(b dsl.Bool) string {
	if !b.Known {
		return b.Source
	}
	return strconv.FormatBool(b.Value)
}

// stepSummary describes a step that was added or removed: where it runs
// (its image, or the host) and its script or command.
func stepSummary(step *dsl.Step, sv *dsl.StepValues) string {
	local := step.Runner == "local"
	if sv == nil {
		return ""
	}
	var what string
	switch {
	case sv.Run != nil:
		what = shown(*sv.Run)
	case sv.Command != nil:
		parts := make([]string, len(sv.Command))
		for i, t := range sv.Command {
			parts[i] = shown(t)
		}
		what = strings.Join(parts, " ")
	}
	what = strings.TrimSpace(what)
	where := shown(sv.Image)
	if local {
		where = "the host"
	}
	switch {
	case where == "":
		return what
	case strings.Contains(what, "\n"):
		return "on " + where + ":\n" + what
	}
	return "on " + where + ": " + what
}

// sortedKeys returns the keys of a set, sorted.
func sortedKeys(m map[string]bool) []string {
	return slices.Sorted(maps.Keys(m))
}
