package dsl

import (
	"fmt"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var stepBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "run"},
		{Name: "command"},
		{Name: "image"},
		{Name: "env"},
		{Name: "secrets"},
		{Name: "workdir"},
		{Name: "timeout"},
		{Name: "retries"},
		{Name: "when"},
		{Name: "needs"},
		{Name: "runner"},
		{Name: "pull"},
		{Name: "privileged"},
		{Name: "mounts"},
		{Name: "inputs"},
		{Name: "outputs"},
		{Name: "caches"},
		{Name: "user"},
		{Name: "workspace"},
	},
}

var (
	runnerValues = []string{"docker", "local"}
	pullValues   = []string{"always", "missing", "never"}
)

// decodeStepBlock decodes a step. Expressions that may depend on run-time
// values are kept; the rest is evaluated now. References (needs, secrets)
// are checked later by resolve.
func (l *loader) decodeStepBlock(b *hcl.Block) (*Step, hcl.Diagnostics) {
	st := &Step{Name: b.Labels[0], Pull: "missing", DeclRange: b.DefRange}
	diags := checkName("step", b)
	content, d := b.Body.Content(stepBlockSchema)
	diags = append(diags, d...)
	attrs := content.Attributes
	st.Run = exprOf(attrs, "run")
	st.Command = exprOf(attrs, "command")
	st.Image = exprOf(attrs, "image")
	if st.Image != nil {
		st.ImageRef, st.ImageRefRange = imageRefOf(st.Image)
		if st.ImageRef != "" {
			st.Image = nil
		}
	}
	st.Env = exprOf(attrs, "env")
	st.Workdir = exprOf(attrs, "workdir")
	st.When = exprOf(attrs, "when")
	switch {
	case st.Run != nil && st.Command != nil:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting Step Command",
			Detail:   fmt.Sprintf("Step %q sets both run and command. Use run for a shell script or command for an exec-form list, not both.", st.Name),
			Subject:  attrs["command"].NameRange.Ptr(),
		})
	case st.Run == nil && st.Command == nil && !d.HasErrors():
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing Step Command",
			Detail:   fmt.Sprintf("Step %q has nothing to run. Add run = \"...\" (a shell script) or command = [\"prog\", \"arg\"].", st.Name),
			Subject:  b.DefRange.Ptr(),
		})
	}
	if a, ok := attrs["timeout"]; ok {
		diags = append(diags, l.duration(a, &st.Timeout, false)...)
	}
	if a, ok := attrs["retries"]; ok {
		diags = append(diags, l.retries(a, &st.Retries)...)
	}
	if a, ok := attrs["runner"]; ok {
		diags = append(diags, l.enum(a, runnerValues, &st.Runner)...)
	}
	if a, ok := attrs["pull"]; ok {
		diags = append(diags, l.enum(a, pullValues, &st.Pull)...)
	}
	if a, ok := attrs["privileged"]; ok {
		diags = append(diags, l.staticBool(a, &st.Privileged)...)
	}
	if a, ok := attrs["mounts"]; ok {
		diags = append(diags, l.mounts(a, st)...)
	}
	diags = append(diags, l.decodeStepFiles(attrs, st)...)
	if a, ok := attrs["needs"]; ok {
		diags = append(diags, l.stepRefs(a, st, "step", &st.Needs)...)
	}
	if a, ok := attrs["secrets"]; ok {
		diags = append(diags, l.stepRefs(a, st, "secret", &st.Secrets)...)
	}
	return st, diags
}

// exprOf returns the expression of an attribute, or nil when it is absent.
func exprOf(attrs hcl.Attributes, name string) hcl.Expression {
	if a, ok := attrs[name]; ok {
		return a.Expr
	}
	return nil
}

// stepRefs decodes needs = [step.x] or secrets = [secret.y].
func (l *loader) stepRefs(a *hcl.Attribute, st *Step, kind string, into *[]string) hcl.Diagnostics {
	refs, diags := decodeAddressList(a, kind+" references like "+kind+".NAME")
	for _, r := range refs {
		if r.Kind != kind {
			detail := fmt.Sprintf("The %s of a step must be %s references like %s.NAME; %s.%s is not one.", a.Name, kind, kind, r.Kind, r.Name)
			if kind == "step" && isStageKind(r.Kind) {
				detail += " A step can only wait for steps of its own stage; to wait for another stage, put needs = [" + r.Kind + "." + r.Name + "] on the stage."
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Reference",
				Detail:   detail,
				Subject:  r.Range.Ptr(),
			})
			continue
		}
		*into = append(*into, r.Name)
		l.refRanges[refKey{step: st, attr: a.Name, i: len(*into) - 1}] = r.Range
	}
	return diags
}

// retries evaluates a whole number >= 0.
func (l *loader) retries(a *hcl.Attribute, into *int) hcl.Diagnostics {
	v, diags := l.evalStatic(a, cty.Number)
	if v.IsNull() {
		return diags
	}
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	if !bf.IsInt() || acc != 0 || n < 0 || n > 100 {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid Retries",
			Detail:   fmt.Sprintf("retries must be a whole number from 0 to 100, not %s. It counts how many more times a failing step is tried.", bf.Text('g', 10)),
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	*into = int(n)
	return diags
}

// enum evaluates a string that must be one of values.
func (l *loader) enum(a *hcl.Attribute, values []string, into *string) hcl.Diagnostics {
	var s string
	diags := l.staticString(a, &s)
	if diags.HasErrors() {
		return diags
	}
	if !contains(values, s) {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + titleCase(a.Name),
			Detail: fmt.Sprintf("%s = %q is not supported.%s Use one of: %s.",
				a.Name, s, didYouMean(s, values), strings.Join(quoteAll(values), ", ")),
			Subject: a.Expr.Range().Ptr(),
		})
	}
	*into = s
	return diags
}

func quoteAll(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// mounts evaluates the bind mounts. The decoder is the one place that says
// what a valid mount is; see mountProblem.
func (l *loader) mounts(a *hcl.Attribute, st *Step) hcl.Diagnostics {
	mounts, ranges, diags := l.staticStrings(a)
	for i, m := range mounts {
		if problem := mountProblem(m); problem != "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Mount",
				Detail:   problem,
				Subject:  ranges[i].Ptr(),
			})
			continue
		}
		st.Mounts = append(st.Mounts, m)
	}
	return diags
}

// mountProblem checks one bind mount, "HOST:CONTAINER" or
// "HOST:CONTAINER:MODE", where HOST and CONTAINER are absolute paths and MODE
// is "ro" or "rw": what the Docker runner accepts. It returns "" for a valid
// mount, or a Detail that says what is wrong and how to fix it.
func mountProblem(m string) string {
	const form = `Write "HOST:CONTAINER", optionally followed by ":ro" (read-only) or ":rw" (read-write), with absolute paths on both sides, for example "/var/cache/go:/root/.cache:ro".`
	parts := strings.Split(m, ":")
	switch {
	case len(parts) < 2 || len(parts) > 3:
		return fmt.Sprintf("%q is not a valid mount. %s", m, form)
	case !path.IsAbs(parts[0]):
		return fmt.Sprintf("The mount %q has the host path %q, which is not absolute; relative host paths are not resolved against the workspace. Give the full host path, starting with \"/\". %s", m, parts[0], form)
	case !path.IsAbs(parts[1]):
		return fmt.Sprintf("The mount %q has the container path %q, which is not absolute. Give the full path inside the container, starting with \"/\". %s", m, parts[1], form)
	case len(parts) == 3 && parts[2] == "":
		return fmt.Sprintf("The mount %q ends with \":\" but gives no mode. Add \"ro\" (read-only) or \"rw\" (read-write) after it, or remove the trailing \":\".", m)
	case len(parts) == 3 && parts[2] != "ro" && parts[2] != "rw":
		return fmt.Sprintf("The mount %q has the mode %q. Use \"ro\" (read-only) or \"rw\" (read-write), or leave the mode out for read-write.", m, parts[2])
	}
	return ""
}
