package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/internal/keys"
)

// FromConfig extracts every environment's protection rules from cfg, keyed
// by environment name. A nil cfg gives an empty map.
func FromConfig(cfg *dsl.Config) map[string]Env {
	out := map[string]Env{}
	if cfg == nil {
		return out
	}
	for _, s := range cfg.Environments() {
		e := Env{Name: s.Name, Requires: slices.Clone(s.Requires), Branches: slices.Clone(s.Branches)}
		for _, g := range s.Gates {
			e.Gates = append(e.Gates, Gate{Environment: s.Name, Name: g.Name,
				Approvers: slices.Clone(g.Approvers), PreventSelfApproval: g.PreventSelfApproval, Signed: g.Signed})
		}
		out[s.Name] = e
	}
	return out
}

// Difference is one way the rules of the change differ from the trusted rules.
type Difference struct {
	Environment string
	// What names the rule: "gate NAME", "branches", "requires",
	// "environment".
	What    string
	Trusted string // the trusted value, "(none)" when absent
	Head    string // the change's value, "(none)" when absent
}

// String renders the difference as one sentence.
func (d Difference) String() string {
	return fmt.Sprintf("environment %s: %s is %s at the trusted ref but %s in this change; the trusted value applies",
		d.Environment, d.What, d.Trusted, d.Head)
}

// Compare lists how head's rules differ from trusted's, sorted by
// environment and rule. Environments present only in head are reported
// too: their rules come from the change because no trusted rules exist.
func Compare(trusted, head map[string]Env) []Difference {
	var out []Difference
	for _, name := range keys.Union(trusted, head) {
		t, inT := trusted[name]
		h, inH := head[name]
		switch {
		case !inT:
			out = append(out, Difference{Environment: name, What: "environment", Trusted: "(none)",
				Head: "defined (its rules come from this change)"})
			continue
		case !inH:
			out = append(out, Difference{Environment: name, What: "environment", Trusted: "defined", Head: "(none)"})
			continue
		}
		if a, b := listText(t.Branches), listText(h.Branches); a != b {
			out = append(out, Difference{Environment: name, What: "branches", Trusted: a, Head: b})
		}
		if a, b := listText(t.Requires), listText(h.Requires); a != b {
			out = append(out, Difference{Environment: name, What: "requires", Trusted: a, Head: b})
		}
		out = append(out, compareGates(name, t.Gates, h.Gates)...)
	}
	return out
}

func compareGates(env string, trusted, head []Gate) []Difference {
	byName := func(gs []Gate) map[string]Gate {
		m := map[string]Gate{}
		for _, g := range gs {
			m[g.Name] = g
		}
		return m
	}
	t, h := byName(trusted), byName(head)
	var out []Difference
	for _, name := range keys.Union(t, h) {
		tg, inT := t[name]
		hg, inH := h[name]
		a, b := "(none)", "(none)"
		if inT {
			a = gateText(tg)
		}
		if inH {
			b = gateText(hg)
		}
		if a != b {
			out = append(out, Difference{Environment: env, What: "gate " + name, Trusted: a, Head: b})
		}
	}
	return out
}

func gateText(g Gate) string {
	s := "approvers " + listText(g.Approvers)
	if g.PreventSelfApproval {
		s += ", prevent_self_approval"
	}
	if g.Signed {
		s += ", signed"
	}
	return s
}

func listText(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	c := slices.Clone(l)
	sort.Strings(c)
	return "[" + strings.Join(c, ", ") + "]"
}

// Apply replaces the protection rules of cfg's environments with the
// trusted ones, in place: branches and gates are taken from trusted; the
// ordering edges of requires keep only environments that cfg defines (the
// full trusted list is still enforced from history by CheckRequires).
// Gate timeouts and waits of a gate that only the trusted config has are
// taken from trustedCfg. Environments that trusted does not know keep their
// own rules.
func Apply(cfg, trustedCfg *dsl.Config) {
	if cfg == nil || trustedCfg == nil {
		return
	}
	for _, s := range cfg.Environments() {
		t := trustedCfg.Stage(dsl.KindEnvironment, s.Name)
		if t == nil {
			continue
		}
		s.Branches = slices.Clone(t.Branches)
		s.BranchesSet = t.BranchesSet
		s.Gates = slices.Clone(t.Gates)
		var req []string
		for _, r := range t.Requires {
			if cfg.Stage(dsl.KindEnvironment, r) != nil {
				req = append(req, r)
			}
		}
		s.Requires = req
	}
}
