package dsl

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

var pipelineBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"},
		{Name: "version"},
		{Name: "image"},
		{Name: "paths"},
	},
}

// decodePipelineBlock decodes the pipeline block. version stays an
// expression; description, image and paths are evaluated now.
func (l *loader) decodePipelineBlock(b *hcl.Block) (*Pipeline, hcl.Diagnostics) {
	p := &Pipeline{Name: b.Labels[0], DeclRange: b.DefRange}
	var diags hcl.Diagnostics
	if p.Name == "" {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid Name",
			Detail:   "The pipeline name must not be empty. Name the pipeline after the component it delivers, for example pipeline \"webapp\".",
			Subject:  b.LabelRanges[0].Ptr(),
		})
	}
	content, d := b.Body.Content(pipelineBlockSchema)
	diags = append(diags, d...)
	if a, ok := content.Attributes["description"]; ok {
		diags = append(diags, l.staticString(a, &p.Description)...)
	}
	if a, ok := content.Attributes["image"]; ok {
		d := l.staticString(a, &p.Image)
		diags = append(diags, d...)
		l.pipelineImageBroken = d.HasErrors()
	}
	if a, ok := content.Attributes["version"]; ok {
		p.Version = a.Expr
	}
	if a, ok := content.Attributes["paths"]; ok {
		paths, d := l.decodePaths(a)
		diags = append(diags, d...)
		p.Paths = paths
	}
	return p, diags
}

// decodePaths decodes pipeline.paths: a static list of distinct, relative,
// slash-separated paths below the pipeline's directory or beside it.
func (l *loader) decodePaths(a *hcl.Attribute) ([]string, hcl.Diagnostics) {
	paths, ranges, diags := l.staticStrings(a)
	var out []string
	seen := map[string]bool{}
	for i, p := range paths {
		clean := path.Clean(strings.TrimSpace(p))
		bad := ""
		switch {
		case strings.TrimSpace(p) == "":
			bad = "A path must not be empty. Remove the empty entry."
		case path.IsAbs(p) || strings.Contains(p, "\\") || (len(p) > 1 && p[1] == ':'):
			bad = fmt.Sprintf("%q is not a relative path. Name the path relative to the pipeline's directory with forward slashes, for example \"../shared\".", p)
		case strings.ContainsAny(p, "*?["):
			bad = fmt.Sprintf("%q has a wildcard. Name directories or files; every commit that changes a file below one of them belongs to this component.", p)
		case seen[clean]:
			bad = fmt.Sprintf("%q is listed twice in paths. Remove one of the entries.", p)
		}
		if bad != "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid Path", Detail: bad, Subject: ranges[i].Ptr()})
			continue
		}
		seen[clean] = true
		out = append(out, clean)
	}
	return out, diags
}

var secretBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "env", Required: true}, {Name: "environments"}},
}

// decodeSecretBlock decodes a secret block; env is required and must be a
// valid environment variable name.
func (l *loader) decodeSecretBlock(b *hcl.Block) (*Secret, hcl.Diagnostics) {
	s := &Secret{Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName("secret", b)
	content, d := b.Body.Content(secretBlockSchema)
	diags = append(diags, d...)
	if a, ok := content.Attributes["env"]; ok {
		d := l.staticString(a, &s.Env)
		diags = append(diags, d...)
		if !d.HasErrors() && !validEnvName(s.Env) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Environment Variable Name",
				Detail:   fmt.Sprintf("%q is not a valid environment variable name. Name the variable that holds the secret, for example env = \"DEPLOY_TOKEN\".", s.Env),
				Subject:  a.Expr.Range().Ptr(),
			})
		}
	}
	if a, ok := content.Attributes["environments"]; ok {
		diags = append(diags, l.decodeSecretScope(s, a)...)
	}
	return s, diags
}

// decodeSecretScope decodes a secret's environments = [environment.NAME];
// the names are checked against the environments once all are known.
func (l *loader) decodeSecretScope(s *Secret, a *hcl.Attribute) hcl.Diagnostics {
	s.EnvironmentsSet = true
	refs, diags := decodeAddressList(a, "environment addresses like environment.production")
	if diags.HasErrors() {
		return diags
	}
	if len(refs) == 0 {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty Secret Scope",
			Detail: fmt.Sprintf("environments = [] would give secret %q to no step. List the environments whose steps may receive it, "+
				"for example environments = [environment.production], or remove the attribute to give it to every step that lists it.", s.Name),
			Subject: a.Expr.Range().Ptr(),
		})
	}
	for _, r := range refs {
		if r.Kind != string(KindEnvironment) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Reference",
				Detail: fmt.Sprintf("environments must name environments, like environment.production; %s.%s is not an environment. "+
					"A secret's scope is a list of environments whose steps may receive it.", r.Kind, r.Name),
				Subject: r.Range.Ptr(),
			})
			continue
		}
		s.Environments = append(s.Environments, r.Name)
		l.secretScopeRanges[s] = append(l.secretScopeRanges[s], r.Range)
	}
	return diags
}

var groupBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "members", Required: true}, {Name: "allowed_signers"}},
}

// decodeGroupBlock decodes a group of approvers.
func (l *loader) decodeGroupBlock(b *hcl.Block) (*Group, hcl.Diagnostics) {
	g := &Group{Name: b.Labels[0], DeclRange: b.DefRange}
	var diags hcl.Diagnostics
	if g.Name == "" || strings.ContainsAny(g.Name, " \t\n:") {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid Name",
			Detail:   fmt.Sprintf("%q is not a valid group name. Use a name without spaces or colons, such as \"release-managers\".", g.Name),
			Subject:  b.LabelRanges[0].Ptr(),
		})
	}
	content, d := b.Body.Content(groupBlockSchema)
	diags = append(diags, d...)
	if a, ok := content.Attributes["members"]; ok {
		members, ranges, d := l.staticStrings(a)
		diags = append(diags, d...)
		seen := map[string]bool{}
		for i, m := range members {
			switch {
			case strings.TrimSpace(m) == "":
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid Group Member",
					Detail:   "A group member must be a name or an e-mail address, not an empty string. Remove the empty entry.",
					Subject:  ranges[i].Ptr(),
				})
			case seen[m]:
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate Group Member",
					Detail:   fmt.Sprintf("%q is listed twice in group %q. Remove one of the entries.", m, g.Name),
					Subject:  ranges[i].Ptr(),
				})
			default:
				seen[m] = true
				g.Members = append(g.Members, m)
			}
		}
	}
	if a, ok := content.Attributes["allowed_signers"]; ok {
		diags = append(diags, l.allowedSigners(a, g)...)
	}
	return g, diags
}

var notifyBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "webhook", Required: true},
		{Name: "on", Required: true},
	},
}

// decodeNotifyBlock decodes a notify block. webhook stays an expression;
// each event in on must be one of NotifyEvents.
func (l *loader) decodeNotifyBlock(b *hcl.Block) (*Notify, hcl.Diagnostics) {
	n := &Notify{Name: b.Labels[0], DeclRange: b.DefRange}
	var diags hcl.Diagnostics
	content, d := b.Body.Content(notifyBlockSchema)
	diags = append(diags, d...)
	if a, ok := content.Attributes["webhook"]; ok {
		n.Webhook = a.Expr
	}
	if a, ok := content.Attributes["on"]; ok {
		events, ranges, d := l.staticStrings(a)
		diags = append(diags, d...)
		if !d.HasErrors() && len(events) == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No Notify Events",
				Detail:   fmt.Sprintf("The on attribute lists no events, so this notify block would never fire. List some of: %s.", strings.Join(NotifyEvents, ", ")),
				Subject:  a.Expr.Range().Ptr(),
			})
		}
		for i, ev := range events {
			if !contains(NotifyEvents, ev) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Unknown Notify Event",
					Detail: fmt.Sprintf("%q is not an event.%s The events are: %s.",
						ev, didYouMean(ev, NotifyEvents), strings.Join(NotifyEvents, ", ")),
					Subject: ranges[i].Ptr(),
				})
				continue
			}
			n.On = append(n.On, ev)
		}
	}
	return n, diags
}

// decodeLocalsBlock returns the attributes of a locals block.
func decodeLocalsBlock(b *hcl.Block) ([]*hcl.Attribute, hcl.Diagnostics) {
	attrs, diags := b.Body.JustAttributes()
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sortAttrs(out)
	return out, diags
}

func sortAttrs(attrs []*hcl.Attribute) {
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].Range.Start.Byte < attrs[j].Range.Start.Byte })
}

// titleCase upper-cases the first letter of every word.
func titleCase(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// lowerWords lower-cases s for use inside a sentence.
func lowerWords(s string) string { return strings.ToLower(s) }
