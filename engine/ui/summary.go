package ui

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Summary describes a finished run for the summary table.
type Summary struct {
	// Status is the run's status: succeeded, failed, cancelled or stopped.
	Status string
	// Nodes lists every node in the order to show them (the scheduler uses
	// the plan's topological order).
	Nodes []SummaryNode
	// CriticalPath is the heaviest chain of node IDs by measured duration.
	CriticalPath []string
	Wall         time.Duration
}

// SummaryNode is one row of the summary table. Kind is the node's kind
// ("step", "gate", "release", "deploy"); a deploy node that succeeded is
// shown as StatusChecked.
type SummaryNode struct {
	ID       string
	Kind     string
	Status   string
	Reason   string
	Attempts int
	ExitCode int
	Duration time.Duration
}

// WriteSummary writes the summary table: one row per node with its status,
// duration and attempts, then the critical path with its total duration,
// then the wall time and the run's status. Output is deterministic for a
// given Summary.
func WriteSummary(w io.Writer, s Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tSTATUS\tDURATION\tATTEMPTS\tDETAIL")
	durations := make(map[string]time.Duration, len(s.Nodes))
	for _, n := range s.Nodes {
		durations[n.ID] = n.Duration
		dur, attempts := "-", "-"
		if n.Attempts > 0 {
			dur = FormatDuration(n.Duration)
			attempts = strconv.Itoa(n.Attempts)
		}
		status := n.Status
		if isChecked(n.Kind, n.Status, n.Reason) {
			status = StatusChecked
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s\t%s\n", symbol(n.Status), n.ID, status, dur, attempts, rowDetail(n))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	var b strings.Builder
	if len(s.CriticalPath) > 0 {
		var total time.Duration
		for _, id := range s.CriticalPath {
			total += durations[id]
		}
		fmt.Fprintf(&b, "\ncritical path (%s): %s\n", FormatDuration(total), strings.Join(s.CriticalPath, " → "))
	} else {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "wall time: %s  run %s\n", FormatDuration(s.Wall), s.Status)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

func rowDetail(n SummaryNode) string {
	switch {
	case isChecked(n.Kind, n.Status, n.Reason):
		return checkedDetail
	case n.Reason != "":
		return n.Reason
	case n.Status == StatusFailed:
		return "exit " + strconv.Itoa(n.ExitCode)
	default:
		return ""
	}
}

func attemptText(e Event) string {
	return fmt.Sprintf("attempt %d of %d", e.Attempt, e.MaxAttempts)
}
