package main

import (
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/state"
)

func TestWriteLogLines(t *testing.T) {
	line := func(node string, attempt int, text string) state.LogLine {
		return state.LogLine{NodeID: node, Attempt: attempt, Text: text}
	}
	mixed := []state.LogLine{line("a.b", 1, "one"), line("c.d", 1, "first"), line("c.d", 2, "second")}
	tests := []struct {
		name    string
		lines   []state.LogLine
		oneStep bool
		want    string
	}{
		{"one attempt each", []state.LogLine{line("a.b", 1, "x"), line("c.d", 1, "y")}, false, "[a.b] x\n[c.d] y\n"},
		{"attempts marked", mixed, false, "[a.b] one\n[c.d attempt 1] first\n[c.d attempt 2] second\n"},
		{"one step, one attempt", []state.LogLine{line("a.b", 1, "x")}, true, "x\n"},
		{"one step, two attempts", mixed[1:], true, "[attempt 1] first\n[attempt 2] second\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			writeLogLines(&b, tt.lines, tt.oneStep)
			if b.String() != tt.want {
				t.Errorf("writeLogLines(%s) = %q; want %q", tt.name, b.String(), tt.want)
			}
		})
	}
}
