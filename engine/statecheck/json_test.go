package statecheck_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/state/memory"
	"github.com/pipeline-cd/pipeline/engine/statecheck"
)

// TestReportJSON: `state check --json` prints snake_case keys, as every
// other --json output and the report's own findings do.
func TestReportJSON(t *testing.T) {
	b, err := json.Marshal(&statecheck.Report{Runs: 1, LogLines: 2, Findings: []statecheck.Finding{{Kind: "k"}}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"runs", "releases", "deployments", "approvals", "artifacts", "log_lines", "findings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("state check JSON %s has no key %q", b, k)
		}
	}
}

// TestReportJSONNoFindings: a clean store's report lists "findings": [],
// not null, so scripts can iterate it.
func TestReportJSONNoFindings(t *testing.T) {
	rep, err := statecheck.Check(t.Context(), memory.New(), statecheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"findings":[]`) {
		t.Errorf("state check JSON of an empty store = %s; want \"findings\":[]", b)
	}
}
