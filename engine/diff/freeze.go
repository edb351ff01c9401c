package diff

import (
	"fmt"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/dsl"
)

// freezeObject is how a freeze block is named in a report.
func freezeObject(name string) object { return topObject(7, "freeze", name) }

func freezesByName(c *dsl.Config) map[string]*dsl.Freeze {
	out := map[string]*dsl.Freeze{}
	for _, f := range c.Freezes {
		out[f.Name] = f
	}
	return out
}

func freezeText(f *dsl.Freeze) string {
	return fmt.Sprintf("%s from %s to %s", joinList(f.Environments), f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
}

// compareFreezes records added, removed and changed freeze blocks.
func (d *differ) compareFreezes() {
	bf, hf := freezesByName(d.base), freezesByName(d.head)
	for _, name := range unionKeys(bf, hf) {
		b, h := bf[name], hf[name]
		o := freezeObject(name)
		switch {
		case b == nil:
			d.change(o, Added, "", "", freezeText(h))
		case h == nil:
			d.change(o, Removed, "", freezeText(b), "")
		default:
			d.field(o, "environments", joinList(b.Environments), joinList(h.Environments))
			d.field(o, "from", b.From.Format(time.RFC3339), h.From.Format(time.RFC3339))
			d.field(o, "to", b.To.Format(time.RFC3339), h.To.Format(time.RFC3339))
		}
	}
}

// freezeRisks reports a freeze removed or shortened, or an environment
// taken out of one: deployments it refused are allowed again.
func (d *differ) freezeRisks() {
	hf := freezesByName(d.head)
	for _, b := range d.base.Freezes {
		o := freezeObject(b.Name)
		h := hf[b.Name]
		if h == nil {
			d.risk(o, High, fmt.Sprintf("Freeze %q was removed: deployments and rollbacks to %s from %s to %s are no longer refused.",
				b.Name, joinList(b.Environments), b.From.Format(time.RFC3339), b.To.Format(time.RFC3339)))
			continue
		}
		if h.From.After(b.From) || h.To.Before(b.To) {
			d.risk(o, High, fmt.Sprintf("Freeze %q was shortened from %s – %s to %s – %s: deployments are allowed again in the time it no longer covers.",
				b.Name, b.From.Format(time.RFC3339), b.To.Format(time.RFC3339), h.From.Format(time.RFC3339), h.To.Format(time.RFC3339)))
		}
		var dropped []string
		for _, env := range b.Environments {
			if !contains(h.Environments, env) {
				dropped = append(dropped, env)
			}
		}
		if len(dropped) > 0 {
			d.risk(o, High, fmt.Sprintf("Freeze %q no longer covers %s: deployments there are allowed again from %s to %s.",
				b.Name, strings.Join(dropped, ", "), h.From.Format(time.RFC3339), h.To.Format(time.RFC3339)))
		}
	}
}

func unionKeys(a, b map[string]*dsl.Freeze) []string {
	set := map[string]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	return sortedKeys(set)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
