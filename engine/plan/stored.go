package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// StoredSchema is the version of the stored plan form that Encode writes
// and Decode reads. Bump it whenever a field of Stored (or of the JSON
// document it carries) changes meaning or is removed; Decode refuses every
// other version.
const StoredSchema = 1

// ErrStoredSchema reports a stored plan that this version cannot read: one
// recorded by an older version of pipeline (before the form had a schema),
// or by a newer one.
var ErrStoredSchema = errors.New("stored plan has an unsupported schema")

// Stored is the deliberate, versioned form of a plan kept with a run (state
// Run.Plan). It holds evaluated values only: every value as the plan knew it,
// with the expression's source text where the value was not known yet
// (a when condition that reads a step's outputs, release.* values), never
// HCL expressions or config blocks. The config a run is resumed from is
// loaded again at the run's commit; Stored is what the run promised to do.
type Stored struct {
	Schema int   `json:"schema"`
	Plan   *JSON `json:"plan"`
}

// Encode returns the stored form of p (see Stored).
func (p *Plan) Encode() ([]byte, error) {
	return json.Marshal(Stored{Schema: StoredSchema, Plan: p.JSON()})
}

// Decode reads a stored plan. A plan without a schema (recorded before the
// stored form was versioned) or with another schema than StoredSchema is
// refused with an error wrapping ErrStoredSchema.
func Decode(b []byte) (*Stored, error) {
	var head struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("reading the stored plan: %w", err)
	}
	switch {
	case head.Schema == nil:
		return nil, fmt.Errorf("%w: it was recorded by an older version of pipeline, before stored plans had a schema (this version reads schema %d)",
			ErrStoredSchema, StoredSchema)
	case *head.Schema != StoredSchema:
		return nil, fmt.Errorf("%w: schema %d was written by another version of pipeline (this version reads schema %d)",
			ErrStoredSchema, *head.Schema, StoredSchema)
	}
	var s Stored
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading the stored plan (schema %d): %w", StoredSchema, err)
	}
	if s.Plan == nil {
		return nil, fmt.Errorf("reading the stored plan (schema %d): it has no plan", StoredSchema)
	}
	return &s, nil
}

// StepChanges lists, sorted, how the steps of p differ from the steps of
// the stored plan: steps planned in only one of them, and steps whose when
// condition, as known when planning, changed (it reads env(), say). Scripts,
// commands and images are not compared: they may read values that differ
// from one CI job to the next (a build number) without changing which
// steps run. Gates, the release and deployments are not compared: their
// rules are read again from the trusted ref. mask, when non-nil, is applied
// to p's values first, as it was to the stored plan when it was recorded.
func (s *Stored) StepChanges(p *Plan, mask func(string) string) []string {
	if mask == nil {
		mask = func(v string) string { return v }
	}
	old := map[string]*JSONStep{}
	for _, n := range s.Plan.Nodes {
		if n.Kind == KindStep && n.Step != nil {
			old[n.ID] = n.Step
		}
	}
	var out []string
	for _, n := range p.Nodes {
		if n.Kind != KindStep {
			continue
		}
		was, ok := old[n.ID]
		delete(old, n.ID)
		if !ok {
			out = append(out, fmt.Sprintf("step %s was not planned", n.ID))
			continue
		}
		if now := mask(jsonStep(n.Step).When.Display); now != was.When.Display {
			out = append(out, fmt.Sprintf("step %s: when was %q, now %q", n.ID, was.When.Display, now))
		}
	}
	for id := range old {
		out = append(out, fmt.Sprintf("step %s was planned, now it is not", id))
	}
	sort.Strings(out)
	return out
}
