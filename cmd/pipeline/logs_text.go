package main

import (
	"fmt"
	"io"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// writeLogLines prints log lines as text: "[NODE] text", or the bare text
// when one step was asked for. The lines of a node that ran more than once
// (retries, or a resume after a crash) are marked with their attempt,
// "[NODE attempt N] text" (or "[attempt N] text"), so attempts never mix.
func writeLogLines(w io.Writer, lines []state.LogLine, oneStep bool) {
	attempts := map[string]map[int]bool{}
	for _, l := range lines {
		if attempts[l.NodeID] == nil {
			attempts[l.NodeID] = map[int]bool{}
		}
		attempts[l.NodeID][l.Attempt] = true
	}
	for _, l := range lines {
		_ = writeLogLine(w, l, oneStep, len(attempts[l.NodeID]) > 1)
	}
}

// writeLogLine writes one line the way writeLogLines does; several says
// whether the line's node has lines of more than one attempt.
func writeLogLine(w io.Writer, l state.LogLine, oneStep, several bool) error {
	var err error
	switch {
	case oneStep && several:
		_, err = fmt.Fprintf(w, "[attempt %d] %s\n", l.Attempt, l.Text)
	case oneStep:
		_, err = io.WriteString(w, l.Text+"\n")
	case several:
		_, err = fmt.Fprintf(w, "[%s attempt %d] %s\n", l.NodeID, l.Attempt, l.Text)
	default:
		_, err = fmt.Fprintf(w, "[%s] %s\n", l.NodeID, l.Text)
	}
	return err
}
