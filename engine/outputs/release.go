package outputs

import (
	"encoding/json"
	"fmt"
	"sort"
)

// releaseDocument is the stored form of a release's package-step outputs.
type releaseDocument struct {
	Version int           `json:"version"`
	Steps   []releaseStep `json:"steps"`
}

type releaseStep struct {
	Step    string  `json:"step"`
	Outputs []entry `json:"outputs"`
}

// EncodeRelease returns the stored form of the outputs of a release's
// package steps, by step name (already masked by the caller), or nil when
// there are none.
func EncodeRelease(steps map[string]map[string]string) []byte {
	if len(steps) == 0 {
		return nil
	}
	names := make([]string, 0, len(steps))
	for n := range steps {
		names = append(names, n)
	}
	sort.Strings(names)
	doc := releaseDocument{Version: Version}
	for _, n := range names {
		var d document
		_ = json.Unmarshal(Encode(steps[n]), &d)
		doc.Steps = append(doc.Steps, releaseStep{Step: n, Outputs: d.Outputs})
	}
	b, _ := json.Marshal(doc) // strings only: cannot fail
	return b
}

// DecodeRelease reads what EncodeRelease wrote; nil or empty input has no
// outputs.
func DecodeRelease(b []byte) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if len(b) == 0 {
		return out, nil
	}
	var doc releaseDocument
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: stored release outputs are not readable: %v", ErrInvalid, err)
	}
	if doc.Version != Version {
		return nil, fmt.Errorf("%w: stored release outputs have version %d; this pipeline reads version %d", ErrInvalid, doc.Version, Version)
	}
	for _, s := range doc.Steps {
		m := make(map[string]string, len(s.Outputs))
		for _, e := range s.Outputs {
			m[e.Key] = e.Value
		}
		out[s.Step] = m
	}
	return out, nil
}
