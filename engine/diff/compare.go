package diff

import (
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/internal/keys"
	"github.com/pipeline-cd/pipeline/internal/sshsig"
)

// differ accumulates the changes and risks between base and head, both
// non-nil (an absent config is an empty one).
type differ struct {
	base, head *dsl.Config
	changes    []keyedChange
	risks      []keyedRisk
}

func (d *differ) change(o object, kind, field, old, new string) {
	k := o.key
	k.field, k.how = field, kind
	d.changes = append(d.changes, keyedChange{k, Change{Kind: kind, Object: o.name, Field: field, Old: old, New: new}})
}

// field records a change of one field when old and new differ.
func (d *differ) field(o object, name, old, new string) {
	if old != new {
		d.change(o, Changed, name, old, new)
	}
}

func (d *differ) risk(o object, severity, message string) {
	d.risks = append(d.risks, keyedRisk{o.key, Risk{Severity: severity, Object: o.name, Message: message}})
}

func (d *differ) compare() {
	d.comparePipeline()
	d.compareVariables()
	d.compareLocals()
	d.compareSecrets()
	d.compareGroups()
	d.compareStages()
	d.compareNotifies()
	d.compareStepImages()
	d.compareFreezes()
}

func (d *differ) comparePipeline() {
	b, h := d.base.Pipeline, d.head.Pipeline
	o := topObject(0, "pipeline", "")
	switch {
	case b == nil && h == nil:
		return
	case b == nil:
		d.change(o, Added, "", "", h.Name)
		return
	case h == nil:
		d.change(o, Removed, "", b.Name, "")
		return
	}
	d.field(o, "name", b.Name, h.Name)
	d.field(o, "description", b.Description, h.Description)
	d.field(o, "image", b.Image, h.Image)
	d.field(o, "paths", strings.Join(b.Paths, ", "), strings.Join(h.Paths, ", "))
	d.field(o, "version", source(d.base, b.Version, "(git describe)"), source(d.head, h.Version, "(git describe)"))
}

// source returns an expression's source text, or absent for a nil one.
func source(c *dsl.Config, expr hcl.Expression, absent string) string {
	if expr == nil {
		return absent
	}
	t, _ := c.EvalText(expr, dsl.Scope{})
	return t.Source
}

// index returns items by the key key gives each.
func index[T any](items []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(items))
	for _, it := range items {
		m[key(it)] = it
	}
	return m
}

func (d *differ) compareVariables() {
	for _, name := range keys.Union(d.base.Variables, d.head.Variables) {
		b, h := d.base.Variables[name], d.head.Variables[name]
		o := topObject(1, "variable", name)
		switch {
		case b == nil:
			d.change(o, Added, "", "", variableDefault(h))
		case h == nil:
			d.change(o, Removed, "", variableDefault(b), "")
		default:
			d.field(o, "type", typeName(b.Type), typeName(h.Type))
			old, new := variableDefault(b), variableDefault(h)
			if old == new && (b.Sensitive || h.Sensitive) && b.HasDefault && h.HasDefault && renderValue(b.Default) != renderValue(h.Default) {
				new = "(sensitive, changed)"
			}
			d.field(o, "default", old, new)
			d.field(o, "sensitive", strconv.FormatBool(b.Sensitive), strconv.FormatBool(h.Sensitive))
		}
	}
}

func typeName(t cty.Type) string {
	if t == cty.NilType || t == cty.DynamicPseudoType {
		return "any"
	}
	return t.FriendlyName()
}

// variableDefault renders a variable's default in HCL syntax; that of a
// sensitive variable is never shown.
func variableDefault(v *dsl.Variable) string {
	if !v.HasDefault {
		return "(no default)"
	}
	if v.Sensitive {
		return "(sensitive)"
	}
	return renderValue(v.Default)
}

// renderValue renders a known, unmarked value in HCL syntax.
func renderValue(v cty.Value) string {
	if v == cty.NilVal || !v.IsWhollyKnown() || v.ContainsMarked() {
		return "(not known)"
	}
	return string(hclwrite.TokensForValue(v).Bytes())
}

func (d *differ) compareLocals() {
	for _, name := range keys.Union(d.base.Locals, d.head.Locals) {
		b, h := d.base.Locals[name], d.head.Locals[name]
		o := topObject(2, "local", name)
		switch {
		case b == nil:
			d.change(o, Added, "", "", source(d.head, h.Expr, ""))
		case h == nil:
			d.change(o, Removed, "", source(d.base, b.Expr, ""), "")
		default:
			d.field(o, "value", source(d.base, b.Expr, ""), source(d.head, h.Expr, ""))
		}
	}
}

func (d *differ) compareSecrets() {
	for _, name := range keys.Union(d.base.Secrets, d.head.Secrets) {
		b, h := d.base.Secrets[name], d.head.Secrets[name]
		o := topObject(3, "secret", name)
		switch {
		case b == nil:
			d.change(o, Added, "", "", secretText(h))
		case h == nil:
			d.change(o, Removed, "", secretText(b), "")
		default:
			d.field(o, "env", b.Env, h.Env)
			d.field(o, "environments", scopeList(b), scopeList(h))
		}
	}
}

// secretText renders a secret for an added or removed change.
func secretText(s *dsl.Secret) string {
	if !s.EnvironmentsSet {
		return "env " + s.Env
	}
	return "env " + s.Env + ", environments " + joinList(s.Environments)
}

// scopeList renders a secret's environments: "(any step)" when unscoped.
func scopeList(s *dsl.Secret) string {
	if !s.EnvironmentsSet {
		return "(any step)"
	}
	return joinList(s.Environments)
}

func (d *differ) compareGroups() {
	for _, name := range keys.Union(d.base.Groups, d.head.Groups) {
		b, h := d.base.Groups[name], d.head.Groups[name]
		o := topObject(4, "group", name)
		switch {
		case b == nil:
			d.change(o, Added, "", "", joinList(h.Members))
		case h == nil:
			d.change(o, Removed, "", joinList(b.Members), "")
		default:
			d.field(o, "members", joinList(b.Members), joinList(h.Members))
			d.field(o, "allowed_signers", signerList(b.AllowedSigners), signerList(h.AllowedSigners))
		}
	}
}

func (d *differ) compareNotifies() {
	name := func(n *dsl.Notify) string { return n.Name }
	bm, hm := index(d.base.Notifies, name), index(d.head.Notifies, name)
	for _, name := range keys.Union(bm, hm) {
		b, h := bm[name], hm[name]
		o := topObject(6, "notify", name)
		switch {
		case b == nil:
			d.change(o, Added, "", "", "on "+joinList(h.On))
		case h == nil:
			d.change(o, Removed, "", "on "+joinList(b.On), "")
		default:
			d.field(o, "on", joinList(b.On), joinList(h.On))
			// The webhook is compared and shown as written: its value
			// usually comes from the environment and is a credential.
			d.field(o, "webhook", source(d.base, b.Webhook, ""), source(d.head, h.Webhook, ""))
		}
	}
}

// stages indexes a config's stages by address.
func stages(c *dsl.Config) map[string]*dsl.Stage {
	return index(c.Stages, (*dsl.Stage).Address)
}

func (d *differ) compareStages() {
	bm, hm := stages(d.base), stages(d.head)
	for _, addr := range keys.Union(bm, hm) {
		b, h := bm[addr], hm[addr]
		switch {
		case b == nil:
			d.change(stageObject(h), Added, "", "", "")
			d.compareStage(&dsl.Stage{Kind: h.Kind, Name: h.Name}, h)
		case h == nil:
			d.change(stageObject(b), Removed, "", "", "")
			d.compareStage(b, &dsl.Stage{Kind: b.Kind, Name: b.Name})
		default:
			o := stageObject(h)
			d.field(o, "needs", stageNeeds(b), stageNeeds(h))
			d.field(o, "container", containerMode(b), containerMode(h))
			if h.Kind == dsl.KindEnvironment {
				d.field(o, "requires", joinList(b.Requires), joinList(h.Requires))
				d.field(o, "branches", branches(b), branches(h))
			}
			d.compareStage(b, h)
		}
	}
}

// stageNeeds renders a stage's needs.
func stageNeeds(s *dsl.Stage) string {
	if !s.NeedsSet {
		return "(implicit)"
	}
	addrs := make([]string, len(s.Needs))
	for i, n := range s.Needs {
		addrs[i] = n.Address()
	}
	return joinList(addrs)
}

// containerMode renders a stage's container attribute.
func containerMode(s *dsl.Stage) string {
	if s.Container == "" {
		return dsl.ContainerPerStep
	}
	return s.Container
}

// branches renders an environment's branch patterns.
func branches(s *dsl.Stage) string {
	if len(s.Branches) == 0 {
		return "(any branch)"
	}
	return joinList(s.Branches)
}

// compareStage compares the children of two stages with the same address;
// b is an empty stage when the stage is new, h when it was removed, so that
// the report lists what a new stage runs and what a removed one ran.
func (d *differ) compareStage(b, h *dsl.Stage) {
	d.compareGates(b, h)
	d.compareArtifacts(b, h)
	d.compareImages(b, h)
	name := func(s *dsl.Step) string { return s.Name }
	bs, hs := index(b.Steps, name), index(h.Steps, name)
	for _, name := range keys.Union(bs, hs) {
		bStep, hStep := bs[name], hs[name]
		o := childObject(h, "step", 4, name)
		switch {
		case bStep == nil:
			hv, _ := d.head.EvalStep(h, hStep, dsl.Scope{})
			d.change(o, Added, "", "", stepSummary(hStep, hv))
		case hStep == nil:
			bv, _ := d.base.EvalStep(b, bStep, dsl.Scope{})
			d.change(o, Removed, "", stepSummary(bStep, bv), "")
		default:
			d.compareStep(o, b, bStep, h, hStep)
		}
	}
}

func (d *differ) compareGates(b, h *dsl.Stage) {
	name := func(g *dsl.Gate) string { return g.Name }
	bg, hg := index(b.Gates, name), index(h.Gates, name)
	for _, name := range keys.Union(bg, hg) {
		bGate, hGate := bg[name], hg[name]
		o := childObject(h, "gate", 1, name)
		switch {
		case bGate == nil:
			d.change(o, Added, "", "", "approvers "+joinList(hGate.Approvers))
		case hGate == nil:
			d.change(o, Removed, "", "approvers "+joinList(bGate.Approvers), "")
		default:
			d.field(o, "approvers", joinList(bGate.Approvers), joinList(hGate.Approvers))
			d.field(o, "prevent_self_approval", strconv.FormatBool(bGate.PreventSelfApproval), strconv.FormatBool(hGate.PreventSelfApproval))
			d.field(o, "signed", strconv.FormatBool(bGate.Signed), strconv.FormatBool(hGate.Signed))
			d.field(o, "timeout", dsl.FormatDuration(bGate.Timeout, "never"), dsl.FormatDuration(hGate.Timeout, "never"))
			d.field(o, "wait", dsl.FormatDuration(bGate.Wait, "none"), dsl.FormatDuration(hGate.Wait, "none"))
			d.field(o, "when", gateWhenSource(d.base, bGate), gateWhenSource(d.head, hGate))
		}
	}
}

func (d *differ) compareArtifacts(b, h *dsl.Stage) {
	name := func(a *dsl.Artifact) string { return a.Name }
	ba, ha := index(b.Artifacts, name), index(h.Artifacts, name)
	for _, name := range keys.Union(ba, ha) {
		bArt, hArt := ba[name], ha[name]
		o := childObject(h, "artifact", 2, name)
		switch {
		case bArt == nil:
			d.change(o, Added, "", "", shown(evalText(d.head, hArt.Path)))
		case hArt == nil:
			d.change(o, Removed, "", shown(evalText(d.base, bArt.Path)), "")
		default:
			d.textField(o, "path", evalText(d.base, bArt.Path), bArt.Path, evalText(d.head, hArt.Path), hArt.Path)
		}
	}
}

func (d *differ) compareImages(b, h *dsl.Stage) {
	name := func(i *dsl.Image) string { return i.Name }
	bi, hi := index(b.Images, name), index(h.Images, name)
	for _, name := range keys.Union(bi, hi) {
		bImg, hImg := bi[name], hi[name]
		o := childObject(h, "image", 3, name)
		switch {
		case bImg == nil:
			d.change(o, Added, "", "", "context "+shown(evalText(d.head, hImg.Context)))
		case hImg == nil:
			d.change(o, Removed, "", "context "+shown(evalText(d.base, bImg.Context)), "")
		default:
			d.textField(o, "context", evalText(d.base, bImg.Context), bImg.Context, evalText(d.head, hImg.Context), hImg.Context)
			d.textField(o, "dockerfile", dockerfile(d.base, bImg), bImg.Dockerfile, dockerfile(d.head, hImg), hImg.Dockerfile)
		}
	}
}

func dockerfile(c *dsl.Config, img *dsl.Image) dsl.Text {
	if img.Dockerfile == nil {
		return dsl.Text{Value: "Dockerfile", Known: true}
	}
	return evalText(c, img.Dockerfile)
}

// evalText evaluates a string expression with an empty scope; a nil
// expression is the empty string.
func evalText(c *dsl.Config, expr hcl.Expression) dsl.Text {
	t, _ := c.EvalText(expr, dsl.Scope{})
	return t
}

// signerList renders allowed_signers as its principals and key
// fingerprints, "(none)" when empty.
func signerList(text string) string {
	signers, err := sshsig.ParseAllowedSigners([]byte(text))
	if err != nil {
		return "(invalid)"
	}
	var out []string
	for _, s := range signers {
		out = append(out, strings.Join(s.Principals, ",")+" "+sshsig.Fingerprint(s.Key))
	}
	return joinList(out)
}
