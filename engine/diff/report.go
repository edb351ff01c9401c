// Package diff compares two loaded pipeline configurations (usually the
// config at a base ref and at a pull request's head) and reports what the
// change does to the delivery process: stages, steps, environments, gates
// and promotion rules added, removed and changed, and, separately, the risks:
// changes that weaken the process.
//
// The package is pure: it reads dsl.Config values and evaluates step
// attributes through dsl, and it never touches git, the state store or a
// runner. Output is deterministic, so reports can be golden-tested and posted
// as pull-request comments that change only when the config does.
package diff

import (
	"sort"
	"strings"

	"github.com/pipeline-cd/pipeline/dsl"
)

// Change kinds.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// Risk severities, most severe first.
const (
	High   = "high"
	Medium = "medium"
)

// Report is the difference between two configs. Changes and Risks are in a
// deterministic order: changes by object (pipeline, variables, locals,
// secrets, groups, then stages in kind order with their gates, artifacts,
// images and steps, then notifications) and field; risks by severity, then
// object. A Report is not modified by its Write methods.
type Report struct {
	// Pipeline is the pipeline's name at head (at base when head has none).
	Pipeline string `json:"pipeline"`
	// Base and Head say where each config came from: the git ref, or
	// "working tree".
	Base    string   `json:"base"`
	Head    string   `json:"head"`
	Changes []Change `json:"changes"`
	Risks   []Risk   `json:"risks"`
}

// Change is one difference. With Field empty, Kind applies to the object
// itself (a step added); otherwise to one of its fields (an env entry added,
// a timeout changed), with the values before and after in Old and New.
type Change struct {
	Kind   string `json:"kind"`   // Added, Removed or Changed
	Object string `json:"object"` // e.g. "step build.webapp.compile"
	Field  string `json:"field,omitempty"`
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
}

// Risk is a change that weakens the delivery process.
type Risk struct {
	Severity string `json:"severity"` // High or Medium
	Object   string `json:"object"`
	// Message is a full sentence: what weakened and why it matters.
	Message string `json:"message"`
}

// Empty reports whether the configs are the same as far as the delivery
// process goes: no changes and no risks.
func (r *Report) Empty() bool { return len(r.Changes) == 0 && len(r.Risks) == 0 }

// Compare compares two loaded configs. A nil base means everything in head
// is added; a nil head means everything in base is removed. The configs
// should be free of error diagnostics; Compare shows what it can of partial
// ones and never fails.
//
// Step attributes are compared through (*dsl.Config).EvalStep with an empty
// dsl.Scope; a value known only at run time is shown as its source text. An
// expression that reads git.* (which differs between any two commits) or
// local.* counts as unchanged when its source text is: local values are
// compared separately, by their source text. Values whose expression calls
// env() are shown as source text, never as the value read from the
// environment, because reports are meant to be posted publicly.
func Compare(base, head *dsl.Config) *Report {
	d := &differ{base: base, head: head}
	if base == nil {
		d.base = &dsl.Config{}
	}
	if head == nil {
		d.head = &dsl.Config{}
	}
	r := &Report{Base: label(base), Head: label(head)}
	switch {
	case d.head.Pipeline != nil:
		r.Pipeline = d.head.Pipeline.Name
	case d.base.Pipeline != nil:
		r.Pipeline = d.base.Pipeline.Name
	}
	d.compare()
	d.findRisks()
	sort.SliceStable(d.changes, func(i, j int) bool { return d.changes[i].less(d.changes[j]) })
	sort.SliceStable(d.risks, func(i, j int) bool { return d.risks[i].less(d.risks[j]) })
	r.Changes = make([]Change, len(d.changes))
	for i, c := range d.changes {
		r.Changes[i] = c.Change
	}
	r.Risks = make([]Risk, len(d.risks))
	for i, k := range d.risks {
		r.Risks[i] = k.Risk
	}
	return r
}

// label names where a config came from.
func label(c *dsl.Config) string {
	switch {
	case c == nil:
		return "(none)"
	case c.Source.Ref != "":
		return c.Source.Ref
	}
	return "working tree"
}

// sortKey orders objects: the top-level rank, then for stage objects the
// stage's kind and name, the child's rank and name.
type sortKey struct {
	rank       int // 0 pipeline, 1 variable, 2 local, 3 secret, 4 group, 5 stages, 6 notify
	kind       int // stage kind index
	name       string
	childRank  int // 0 the stage, 1 gate, 2 artifact, 3 image, 4 step
	child      string
	field, how string
}

func (a sortKey) less(b sortKey) bool {
	switch {
	case a.rank != b.rank:
		return a.rank < b.rank
	case a.kind != b.kind:
		return a.kind < b.kind
	case a.name != b.name:
		return a.name < b.name
	case a.childRank != b.childRank:
		return a.childRank < b.childRank
	case a.child != b.child:
		return a.child < b.child
	case a.field != b.field:
		return a.field < b.field
	}
	return a.how < b.how
}

type keyedChange struct {
	key sortKey
	Change
}

func (c keyedChange) less(o keyedChange) bool { return c.key.less(o.key) }

type keyedRisk struct {
	key sortKey
	Risk
}

func (r keyedRisk) less(o keyedRisk) bool {
	if r.Severity != o.Severity {
		return r.Severity == High
	}
	if r.key != o.key {
		return r.key.less(o.key)
	}
	return r.Message < o.Message
}

// object is something a change or risk is about.
type object struct {
	name string // as shown: "step build.webapp.compile"
	key  sortKey
}

func topObject(rank int, what, name string) object {
	if name == "" {
		return object{name: what, key: sortKey{rank: rank}}
	}
	return object{name: what + " " + name, key: sortKey{rank: rank, name: name}}
}

func kindIndex(k dsl.StageKind) int {
	for i, s := range dsl.StageKinds {
		if s == k {
			return i
		}
	}
	return len(dsl.StageKinds)
}

func stageObject(s *dsl.Stage) object {
	return object{name: "stage " + s.Address(), key: sortKey{rank: 5, kind: kindIndex(s.Kind), name: s.Name}}
}

// childObject names a gate, artifact, image or step of a stage.
func childObject(s *dsl.Stage, what string, rank int, name string) object {
	o := stageObject(s)
	o.name = what + " " + s.Address() + "." + name
	o.key.childRank, o.key.child = rank, name
	return o
}

// joinList renders a list of names for display: sorted, comma-separated,
// or "(none)".
func joinList(list []string) string {
	if len(list) == 0 {
		return "(none)"
	}
	s := append([]string(nil), list...)
	sort.Strings(s)
	return strings.Join(s, ", ")
}
