package ui

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// gateStopSummary is a run stopped at production's gate: the deploy node
// passed its promotion rules, the gate waits, the rollout was not reached.
func gateStopSummary() Summary {
	return Summary{
		Status: StatusStopped,
		Nodes: []SummaryNode{
			{ID: "build.app.compile", Kind: "step", Status: StatusSucceeded, Attempts: 1, Duration: time.Second},
			{ID: "environment.production", Kind: NodeKindDeploy, Status: StatusSucceeded, Attempts: 1},
			{ID: "environment.production.gate.go", Kind: "gate", Status: StatusStopped, Attempts: 1, Reason: "gate go of production is waiting for approval"},
			{ID: "environment.production.rollout", Kind: "step", Status: StatusNotReached, Reason: "not reached: environment.production.gate.go stopped"},
		},
		Wall: time.Second,
	}
}

// summaryRow is the summary table's row of the deploy node.
var summaryRow = regexp.MustCompile(`(?m)^✓ environment\.production +checked +0\.0s +1 +promotion rules passed \(requires, branches\)$`)

// TestDeployNodeShownAsChecked checks that an environment's deploy node,
// which only checks the promotion rules before the gate, never reads
// "environment.production succeeded" in the plain lines, the live view or
// the summary table, and that every view calls it "checked" the same way.
func TestDeployNodeShownAsChecked(t *testing.T) {
	finished := Event{Kind: NodeFinished, Node: "environment.production", NodeKind: NodeKindDeploy, Status: StatusSucceeded, Attempt: 1, MaxAttempts: 1}
	s := gateStopSummary()
	wantLine := "✓ environment.production (0.0s) checked: promotion rules passed (requires, branches)\n"

	var plain bytes.Buffer
	p := NewPlain(&plain)
	p.Event(finished)
	p.Event(Event{Kind: RunFinished, Summary: &s})

	var live bytes.Buffer
	l := newLive(&live, 200, time.Hour, func() time.Time { return t0 })
	l.Event(Event{Kind: NodeStarted, Node: "environment.production", NodeKind: NodeKindDeploy, Time: t0, Attempt: 1, MaxAttempts: 1})
	l.Event(finished)
	l.Event(Event{Kind: RunFinished, Summary: &s})

	for name, out := range map[string]string{"plain": plain.String(), "live": live.String()} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(out, wantLine) {
				t.Errorf("%s output = %q; want the line %q", name, out, wantLine)
			}
			if !summaryRow.MatchString(out) {
				t.Errorf("%s summary = %q; want environment.production shown as checked", name, out)
			}
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, "environment.production ") && strings.Contains(line, StatusSucceeded) {
					t.Errorf("%s output line %q calls the deploy node succeeded while production waits at its gate", name, line)
				}
			}
		})
	}
}

// TestCheckedOnlyForSucceededDeployNodes checks that only a deploy node
// that succeeded is shown as checked: a failed one keeps its status, as do
// steps that succeeded.
func TestCheckedOnlyForSucceededDeployNodes(t *testing.T) {
	tests := []struct {
		name string
		n    SummaryNode
		want string // the STATUS column
	}{
		{"deploy succeeded", SummaryNode{ID: "environment.prod", Kind: NodeKindDeploy, Status: StatusSucceeded, Attempts: 1}, StatusChecked},
		{"deploy failed", SummaryNode{ID: "environment.prod", Kind: NodeKindDeploy, Status: StatusFailed, Attempts: 1, Reason: "requires staging"}, StatusFailed},
		{"deploy reused", SummaryNode{ID: "environment.prod", Kind: NodeKindDeploy, Status: StatusReused}, StatusReused},
		{"step succeeded", SummaryNode{ID: "environment.prod.rollout", Kind: "step", Status: StatusSucceeded, Attempts: 1}, StatusSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSummary(&buf, Summary{Status: StatusSucceeded, Nodes: []SummaryNode{tt.n}}); err != nil {
				t.Fatalf("WriteSummary: %v", err)
			}
			row := strings.Split(buf.String(), "\n")[1]
			if got := strings.Fields(row)[2]; got != tt.want {
				t.Errorf("WriteSummary(%s) row %q status = %q; want %q", tt.name, row, got, tt.want)
			}
		})
	}
}
