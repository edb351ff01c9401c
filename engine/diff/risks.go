package diff

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/internal/sshsig"
)

// findRisks looks for the changes that weaken the delivery process. Each
// check compares head with base; something new at head is judged against
// nothing (a new step that reads a secret exposes it).
func (d *differ) findRisks() {
	bm := stages(d.base)
	for _, h := range d.head.Stages {
		b := bm[h.Address()]
		if b == nil {
			b = &dsl.Stage{Kind: h.Kind, Name: h.Name}
		}
		if h.Kind == dsl.KindEnvironment {
			d.gateRisks(b, h)
			d.branchRisks(b, h)
			d.requiresRisks(b, h)
		}
		d.stepRisks(b, h)
	}
	d.groupRisks()
	d.freezeRisks()
	d.defaultImageRisk()
	d.secretScopeRisks()
}

// secretScopeRisks reports a secret scoped to environments at base that
// head gives to more steps: its scope removed or widened, or another
// secret reading the same environment variable.
func (d *differ) secretScopeRisks() {
	for _, name := range sortedKeys(keySet(d.base.Secrets)) {
		b := d.base.Secrets[name]
		if !b.EnvironmentsSet {
			continue
		}
		o := topObject(3, "secret", name)
		if h := d.head.Secrets[name]; h != nil {
			switch added := newItems(b.Environments, h.Environments); {
			case !h.EnvironmentsSet:
				d.risk(o, High, fmt.Sprintf("Secret %s is no longer scoped to environments (it was given only to the steps of %s): any step that lists it, in any stage, may now receive it.",
					name, joinList(b.Environments)))
			case len(added) > 0:
				d.risk(o, High, fmt.Sprintf("Secret %s may now also be given to the steps of %s (it was given only to those of %s).",
					name, strings.Join(added, ", "), joinList(b.Environments)))
			}
		}
		for _, other := range sortedKeys(keySet(d.head.Secrets)) {
			h := d.head.Secrets[other]
			if other == name || h.Env != b.Env || h.Env == "" {
				continue
			}
			if bo := d.base.Secrets[other]; bo != nil && bo.Env == h.Env {
				continue // read the same variable before
			}
			d.risk(topObject(3, "secret", other), High, fmt.Sprintf("Secret %s reads %s, the variable of secret %s, which is given only to the steps of %s: the steps that list %s receive the same value.",
				other, h.Env, name, joinList(b.Environments), other))
		}
	}
}

func (d *differ) gateRisks(b, h *dsl.Stage) {
	env := h.Name
	hg := map[string]*dsl.Gate{}
	for _, g := range h.Gates {
		hg[g.Name] = g
	}
	for _, bGate := range b.Gates {
		o := childObject(h, "gate", 1, bGate.Name)
		hGate := hg[bGate.Name]
		if hGate == nil {
			d.risk(o, High, fmt.Sprintf("Gate %q was removed from environment %s: deployments to %s no longer wait for a person to approve them.", bGate.Name, env, env))
			continue
		}
		d.approverRisks(o, env, bGate, hGate)
		d.gateWhenRisk(o, env, bGate, hGate)
		if bGate.Signed && !hGate.Signed {
			d.risk(o, High, fmt.Sprintf("Gate %q of environment %s no longer requires signed approvals: anyone who can run `pipeline approve` can approve a deployment to %s in an approver's name.", bGate.Name, env, env))
		}
		if bGate.PreventSelfApproval && !hGate.PreventSelfApproval {
			d.risk(o, High, fmt.Sprintf("Gate %q of environment %s no longer prevents self-approval: the author of a change can now approve its own deployment to %s.", bGate.Name, env, env))
		}
		if shorter(hGate.Timeout, bGate.Timeout) {
			d.risk(o, Medium, fmt.Sprintf("Gate %q of environment %s now expires after %s instead of %s: reviewers get less time to examine a release before deciding on it.",
				bGate.Name, env, dsl.FormatDuration(hGate.Timeout, "never"), dsl.FormatDuration(bGate.Timeout, "never")))
		}
		if hGate.Wait < bGate.Wait {
			d.risk(o, Medium, fmt.Sprintf("Gate %q of environment %s now holds an approved release for %s instead of %s before deploying: there is less time to notice a mistake and stop the deployment.",
				bGate.Name, env, dsl.FormatDuration(hGate.Wait, "no time"), dsl.FormatDuration(bGate.Wait, "no time")))
		}
	}
}

// shorter reports whether gate timeout a is shorter than b, where 0 means
// the gate never expires.
func shorter(a, b time.Duration) bool {
	if a == 0 {
		return false
	}
	return b == 0 || a < b
}

// approverRisks reports everyone who may approve the gate at head but not at base.
func (d *differ) approverRisks(o object, env string, b, h *dsl.Gate) {
	before := map[string]bool{}
	for _, a := range b.Approvers {
		before[a] = true
	}
	for _, a := range h.Approvers {
		if before[a] {
			continue
		}
		before[a] = true // a duplicate is reported once
		if a == "author" {
			msg := fmt.Sprintf("Gate %q of environment %s now lets the author of the commit being deployed approve it", h.Name, env)
			severity := High
			if h.PreventSelfApproval {
				severity = Medium
				msg += "; only prevent_self_approval still stops authors from approving their own release."
			} else {
				msg += ": a change can reach " + env + " approved by no one but the person who wrote it."
			}
			d.risk(o, severity, msg)
			continue
		}
		var who string
		switch {
		case strings.HasPrefix(a, "group:"):
			name := strings.TrimPrefix(a, "group:")
			who = "every member of group " + name
			if g := d.head.Groups[name]; g != nil {
				who += " (" + joinList(g.Members) + ")"
			}
		default:
			who = a
		}
		d.risk(o, High, fmt.Sprintf("Gate %q of environment %s gained an approver: %s may now approve deployments to %s.", h.Name, env, who, env))
	}
}

// groupRisks reports members added to a group that approves a gate at head
// (and existed at base: a new group is reported where a gate names it).
func (d *differ) groupRisks() {
	approves := map[string][]string{} // group name -> gates it approves
	for _, s := range d.head.Environments() {
		for _, g := range s.Gates {
			for _, a := range g.Approvers {
				if name, ok := strings.CutPrefix(a, "group:"); ok {
					approves[name] = append(approves[name], s.Address()+"."+g.Name)
				}
			}
		}
	}
	for _, name := range sortedKeys(keySet(approves)) {
		b, h := d.base.Groups[name], d.head.Groups[name]
		if b == nil || h == nil {
			continue
		}
		old := map[string]bool{}
		for _, m := range b.Members {
			old[m] = true
		}
		added := map[string]bool{}
		for _, m := range h.Members {
			if !old[m] {
				added[m] = true
			}
		}
		if newKeys := addedSigners(b.AllowedSigners, h.AllowedSigners); len(newKeys) > 0 {
			d.risk(topObject(4, "group", name), High, fmt.Sprintf("Group %s's allowed_signers gained %d %s; signed approvals by %s now count for gate %s.",
				name, len(newKeys), plural(len(newKeys), "key", "keys"), strings.Join(newKeys, ", "), strings.Join(approves[name], ", ")))
		}
		if len(added) == 0 {
			continue
		}
		d.risk(topObject(4, "group", name), High, fmt.Sprintf("Group %s gained %s; it approves gate %s, so they may now approve those deployments.",
			name, strings.Join(sortedKeys(added), ", "), strings.Join(approves[name], ", ")))
	}
}

func keySet[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// branchRisks reports an environment that accepts releases from more branches.
func (d *differ) branchRisks(b, h *dsl.Stage) {
	if len(b.Branches) == 0 { // any branch already
		return
	}
	o := stageObject(h)
	if len(h.Branches) == 0 {
		d.risk(o, High, fmt.Sprintf("Environment %s no longer restricts branches (it allowed only %s): a release built from any branch can now be deployed to %s.",
			h.Name, joinList(b.Branches), h.Name))
		return
	}
	old := map[string]bool{}
	for _, p := range b.Branches {
		old[p] = true
	}
	added := map[string]bool{}
	for _, p := range h.Branches {
		if !old[p] {
			added[p] = true
		}
	}
	if len(added) > 0 {
		d.risk(o, High, fmt.Sprintf("Environment %s now also accepts releases built from branches matching %s (it allowed only %s): code that has not reached those branches can be deployed to %s.",
			h.Name, strings.Join(sortedKeys(added), ", "), joinList(b.Branches), h.Name))
	}
}

// requiresRisks reports an environment that a release can now reach without
// having succeeded in an environment it had to pass through before, directly
// or through another environment.
func (d *differ) requiresRisks(b, h *dsl.Stage) {
	before := predecessors(d.base, b.Name)
	after := predecessors(d.head, h.Name)
	lost := map[string]bool{}
	for env := range before {
		if !after[env] && d.head.Stage(dsl.KindEnvironment, env) != nil {
			lost[env] = true
		}
	}
	if len(lost) == 0 {
		return
	}
	names := sortedKeys(lost)
	d.risk(stageObject(h), High, fmt.Sprintf("Environment %s no longer requires %s: a release can now reach %s without having been deployed successfully to %s first.",
		h.Name, strings.Join(names, ", "), h.Name, strings.Join(names, " and ")))
}

// predecessors returns every environment env requires, transitively.
func predecessors(c *dsl.Config, env string) map[string]bool {
	out := map[string]bool{}
	var visit func(string)
	visit = func(name string) {
		s := c.Stage(dsl.KindEnvironment, name)
		if s == nil {
			return
		}
		for _, r := range s.Requires {
			if !out[r] {
				out[r] = true
				visit(r)
			}
		}
	}
	visit(env)
	return out
}

// stepRisks reports secrets newly exposed to a step, privileges and host
// access it gained, and an image it now runs that is not pinned.
func (d *differ) stepRisks(bStage, hStage *dsl.Stage) {
	bs := map[string]*dsl.Step{}
	for _, s := range bStage.Steps {
		bs[s.Name] = s
	}
	for _, h := range hStage.Steps {
		o := childObject(hStage, "step", 4, h.Name)
		b := bs[h.Name]
		if b == nil {
			b = &dsl.Step{}
		}
		addr := hStage.Address() + "." + h.Name
		if added := newItems(b.Secrets, h.Secrets); len(added) > 0 {
			d.risk(o, High, fmt.Sprintf("Step %s can now read secret %s: whatever the step runs can use or leak %s.%s",
				addr, strings.Join(added, ", "), plural(len(added), "it", "them"), viaTemplate(h, "secrets")))
		}
		if h.Privileged && !b.Privileged {
			d.risk(o, High, fmt.Sprintf("Step %s now runs privileged: its container gets full access to the host that runs the pipeline.%s", addr, viaTemplate(h, "privileged")))
		}
		if added := newItems(b.Mounts, h.Mounts); len(added) > 0 {
			d.risk(o, Medium, fmt.Sprintf("Step %s now mounts host path %s: it can read or change files outside its container.%s", addr, strings.Join(added, ", "), viaTemplate(h, "mounts")))
		}
		if h.Runner == "local" && b.Runner != "local" {
			d.risk(o, Medium, fmt.Sprintf("Step %s now runs directly on the host (runner = \"local\"), without the isolation of a container.%s", addr, viaTemplate(h, "runner")))
		}
		d.stepImageRisk(o, addr, bStage, b, hStage, h)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// newItems returns the items of h not in b, sorted.
func newItems(b, h []string) []string {
	old := map[string]bool{}
	for _, s := range b {
		old[s] = true
	}
	added := map[string]bool{}
	for _, s := range h {
		if !old[s] {
			added[s] = true
		}
	}
	return sortedKeys(added)
}

// stepImageRisk reports a step's own image that is new or changed and not
// pinned. Steps on the pipeline's default image are covered by
// defaultImageRisk, and local steps run no image.
func (d *differ) stepImageRisk(o object, addr string, bStage *dsl.Stage, b *dsl.Step, hStage *dsl.Stage, h *dsl.Step) {
	if h.Image == nil || h.Runner == "local" {
		return
	}
	hv, _ := d.head.EvalStep(hStage, h, dsl.Scope{})
	if hv == nil || !hv.Image.Known || readsEnvironment(hv.Image.Source) {
		return
	}
	if b.Image != nil {
		if bv, _ := d.base.EvalStep(bStage, b, dsl.Scope{}); bv != nil && bv.Image.Known && bv.Image.Value == hv.Image.Value {
			return
		}
	}
	if why := unpinned(hv.Image.Value); why != "" {
		d.risk(o, Medium, fmt.Sprintf("Step %s now runs image %s, which %s", addr, hv.Image.Value, why))
	}
}

// defaultImageRisk reports a pipeline default image that is new or changed
// and not pinned.
func (d *differ) defaultImageRisk() {
	h := d.head.Pipeline
	if h == nil || h.Image == "" {
		return
	}
	if b := d.base.Pipeline; b != nil && b.Image == h.Image {
		return
	}
	if why := unpinned(h.Image); why != "" {
		d.risk(topObject(0, "pipeline", ""), Medium, fmt.Sprintf("The default image of the pipeline is now %s, which %s", h.Image, why))
	}
}

// unpinned explains why an image reference is not pinned, ending the
// sentence, or returns "" when it is pinned by digest. Every reference
// without a digest is unpinned; the explanation says how fast its tag
// moves (see tagKind).
func unpinned(ref string) string {
	if strings.Contains(ref, "@sha256:") {
		return ""
	}
	const pin = " Pin it by digest (image@sha256:...)."
	name := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, hasTag := strings.Cut(name, ":")
	switch {
	case !hasTag:
		return "has no tag: it runs whatever \"latest\" points to at the time, so two runs of one commit can differ." + pin
	}
	switch tagKind(tag) {
	case tagChannel:
		return fmt.Sprintf("uses the moving tag %q: it follows a release channel, so two runs of one commit can run different images.", tag) + pin
	case tagVersionLine:
		return fmt.Sprintf("uses the moving tag %q: it names a version line, not one release, and moves with every release in that line.", tag) + pin
	}
	return "is not pinned by digest: the tag " + tag + " can be moved to another image without any change to this config." + pin
}

// Kinds of image tag, from the fastest moving.
const (
	tagChannel     = "channel"      // latest, stable, edge, main, lts-alpine, ...
	tagVersionLine = "version line" // 3, 3.20, 1.26-alpine: major or major.minor only
	tagRelease     = "release"      // 1.26.3, 3.20.1-alpine, v2.0.1, a commit hash, ...
)

// channelTags are tags that name a release channel or a branch rather than
// a release: they move by design. A tag is a channel when it is one of
// them, or one of them followed by "-" and a variant ("lts-alpine",
// "stable-slim").
var channelTags = map[string]bool{
	"latest": true, "stable": true, "edge": true, "main": true, "master": true, "lts": true,
	"current": true, "nightly": true, "dev": true, "develop": true, "next": true, "canary": true,
	"beta": true, "alpha": true, "rc": true, "testing": true, "unstable": true, "rolling": true,
	"release": true, "mainline": true, "trunk": true, "head": true,
}

// tagKind classifies an image tag (see the tag constants). A version line
// is one or two dot-separated numbers, with an optional "v" and an
// optional "-variant" ("3", "v3.20", "1.26-alpine"): images are rebuilt
// under it for every patch release. Three numbers or more, or anything
// else, is taken as one release: it can still be moved, but is not meant
// to be.
func tagKind(tag string) string {
	lower := strings.ToLower(tag)
	base, _, _ := strings.Cut(lower, "-")
	if channelTags[lower] || channelTags[base] {
		return tagChannel
	}
	parts := strings.Split(strings.TrimPrefix(base, "v"), ".")
	if len(parts) <= 2 {
		for _, p := range parts {
			if p == "" || strings.Trim(p, "0123456789") != "" {
				return tagRelease
			}
		}
		return tagVersionLine
	}
	return tagRelease
}

// addedSigners lists the principals of the allowed_signers lines of head
// whose key is not in base ("carol@example.com (SHA256:...)"); lines that
// do not parse are left to validate.
func addedSigners(base, head string) []string {
	b, _ := sshsig.ParseAllowedSigners([]byte(base))
	h, _ := sshsig.ParseAllowedSigners([]byte(head))
	old := map[string][]sshsig.AllowedSigner{}
	for _, s := range b {
		k := strings.Join(s.Principals, ",") + " " + sshsig.Fingerprint(s.Key)
		old[k] = append(old[k], s)
	}
	var out []string
	for _, s := range h {
		k := strings.Join(s.Principals, ",") + " " + sshsig.Fingerprint(s.Key)
		prev, ok := old[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s (%s)", strings.Join(s.Principals, ","), sshsig.Fingerprint(s.Key)))
		case !slices.ContainsFunc(prev, func(p sshsig.AllowedSigner) bool { return !widens(p, s) }):
			out = append(out, fmt.Sprintf("%s (%s, its namespaces or validity widened)", strings.Join(s.Principals, ","), sshsig.Fingerprint(s.Key)))
		}
	}
	return out
}

// viaTemplate names the template a step takes attr from, so that a change
// to a template is attributed to every step that extends it; "" when the
// step sets attr itself.
func viaTemplate(s *dsl.Step, attr string) string {
	if t := s.Inherited[attr]; t != "" {
		return fmt.Sprintf(" It comes from template.%s, which the step extends.", t)
	}
	return ""
}

// gateWhenSource is the source text of a gate's when, or "(always
// required)" for a gate without one.
func gateWhenSource(c *dsl.Config, g *dsl.Gate) string {
	if g.When == nil {
		return "(always required)"
	}
	w, _ := c.EvalGateWhen(g, dsl.Scope{})
	return w.Source
}

// gateWhenRisk reports a gate made conditional, or whose condition
// changed: the releases for which it is false deploy without a person.
func (d *differ) gateWhenRisk(o object, env string, b, h *dsl.Gate) {
	bs, hs := gateWhenSource(d.base, b), gateWhenSource(d.head, h)
	switch {
	case h.When == nil || bs == hs:
	case b.When == nil:
		d.risk(o, High, fmt.Sprintf("Gate %q of environment %s is now conditional (when = %s): a release for which the condition is false deploys to %s without waiting for a person.",
			b.Name, env, hs, env))
	default:
		d.risk(o, Medium, fmt.Sprintf("Gate %q of environment %s now applies when %s instead of when %s: check that it still holds every release it should.",
			b.Name, env, hs, bs))
	}
}

// widens reports whether entry h accepts a signature that entry b, for the
// same principals and key, refuses: more namespaces, an earlier
// valid-after, a later (or no) valid-before.
func widens(b, h sshsig.AllowedSigner) bool {
	switch {
	case len(b.Namespaces) > 0 && (len(h.Namespaces) == 0 || slices.ContainsFunc(h.Namespaces, func(n string) bool { return !slices.Contains(b.Namespaces, n) })):
		return true
	case !b.ValidAfter.IsZero() && h.ValidAfter.Before(b.ValidAfter):
		return true
	case !b.ValidBefore.IsZero() && (h.ValidBefore.IsZero() || h.ValidBefore.After(b.ValidBefore)):
		return true
	}
	return false
}
