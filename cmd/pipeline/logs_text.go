package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
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

// logsJSON writes `pipeline logs --json` one line at a time, byte for byte
// what printDataJSON(view.NewLogs(...)) writes, without holding the lines.
type logsJSON struct {
	w     io.Writer
	lines int
	err   error
}

func newLogsJSON(w io.Writer, runID, step string) *logsJSON {
	j := &logsJSON{w: w}
	run, _ := json.Marshal(runID)
	st, _ := json.Marshal(step)
	_, j.err = fmt.Fprintf(w, "{\n  \"run_id\": %s,\n  \"step\": %s,\n  \"lines\": [", run, st)
	return j
}

func (j *logsJSON) line(l state.LogLine) error {
	if j.err != nil {
		return j.err
	}
	b, err := json.MarshalIndent(view.NewLogLine(l), "    ", "  ")
	if err != nil {
		return err
	}
	sep := ",\n    "
	if j.lines == 0 {
		sep = "\n    "
	}
	j.lines++
	if _, j.err = io.WriteString(j.w, sep); j.err == nil {
		_, j.err = j.w.Write(b)
	}
	return j.err
}

func (j *logsJSON) close() error {
	if j.err != nil {
		return j.err
	}
	end := "]\n}\n"
	if j.lines > 0 {
		end = "\n  ]\n}\n"
	}
	_, err := io.WriteString(j.w, end)
	return err
}
