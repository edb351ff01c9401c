package dsl

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Freeze is a freeze block: a window in which deployments and rollbacks
// into its environments are refused (unless an approver overrides it).
// Like gates, freezes are read from the trusted ref.
type Freeze struct {
	Name string
	// Environments lists the environment names the freeze covers.
	Environments []string
	// From and To bound the window [From, To), in UTC.
	From, To time.Time
	// Reason says why, for the refusal message; optional.
	Reason    string
	DeclRange hcl.Range

	envRanges []hcl.Range
}

// Covers reports whether the freeze applies to environment env at t.
func (f *Freeze) Covers(env string, t time.Time) bool {
	if t.Before(f.From) || !t.Before(f.To) {
		return false
	}
	return contains(f.Environments, env)
}

var freezeBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "environments", Required: true},
		{Name: "from", Required: true},
		{Name: "to", Required: true},
		{Name: "reason"},
	},
}

// decodeFreezeBlock decodes a freeze block; its environments are checked
// by resolveFreezes once every environment is known.
func (l *loader) decodeFreezeBlock(b *hcl.Block) (*Freeze, hcl.Diagnostics) {
	f := &Freeze{Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName("freeze", b)
	content, d := b.Body.Content(freezeBlockSchema)
	diags = append(diags, d...)
	if a, ok := content.Attributes["environments"]; ok {
		refs, d := envRefs(a)
		diags = append(diags, d...)
		for _, r := range refs {
			f.Environments = append(f.Environments, r.Name)
			f.envRanges = append(f.envRanges, r.Range)
		}
		if !d.HasErrors() && len(refs) == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty Freeze",
				Detail:   "environments = [] freezes nothing. List the environments to freeze, for example [environment.production], or remove the block.",
				Subject:  a.Expr.Range().Ptr(),
			})
		}
	}
	for _, name := range []string{"from", "to"} {
		a, ok := content.Attributes[name]
		if !ok {
			continue
		}
		var s string
		d := l.staticString(a, &s)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Time",
				Detail:   fmt.Sprintf("%s = %q is not a time. Write it in RFC 3339 form with a zone, for example \"2026-12-20T00:00:00Z\" or \"2026-12-20T18:00:00+01:00\".", name, s),
				Subject:  a.Expr.Range().Ptr(),
			})
			continue
		}
		if name == "from" {
			f.From = t.UTC()
		} else {
			f.To = t.UTC()
		}
	}
	if a, ok := content.Attributes["reason"]; ok {
		diags = append(diags, l.staticString(a, &f.Reason)...)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty Freeze Window",
			Detail:   fmt.Sprintf("Freeze %q ends (%s) before or when it starts (%s), so it never applies. Make to later than from.", f.Name, f.To.Format(time.RFC3339), f.From.Format(time.RFC3339)),
			Subject:  content.Attributes["to"].Expr.Range().Ptr(),
		})
	}
	return f, diags
}

// envRefs decodes a list of environment references such as requires =
// [environment.beta]; any other reference is an error.
func envRefs(a *hcl.Attribute) ([]addressRef, hcl.Diagnostics) {
	refs, diags := decodeAddressList(a, "environment addresses like environment.beta")
	var out []addressRef
	for _, r := range refs {
		if r.Kind != string(KindEnvironment) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Reference",
				Detail:   fmt.Sprintf("%s must name environments, like environment.beta; %s.%s is not an environment.", a.Name, r.Kind, r.Name),
				Subject:  r.Range.Ptr(),
			})
			continue
		}
		out = append(out, r)
	}
	return out, diags
}

// resolveFreezes checks that every environment a freeze names exists.
func (l *loader) resolveFreezes(envNames map[string]bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, f := range l.cfg.Freezes {
		for i, name := range f.Environments {
			if !envNames[name] {
				diags = append(diags, undeclared("Environment", "environment."+name, name, keysOf(envNames), f.envRanges[i],
					fmt.Sprintf("Declare an environment %q block, or fix the reference.", name)))
			}
		}
	}
	return diags
}
