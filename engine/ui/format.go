package ui

import (
	"fmt"
	"strings"
	"time"
)

// FormatDuration renders d the way every view shows durations: tenths of a
// second below a minute ("1.2s"), whole seconds above ("2m5s").
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// statusLine renders the one-line outcome of a node: "✓ id (1.2s)",
// "✗ id (0.3s) exit 2", "○ id (skipped: build.x failed)".
func statusLine(e Event) string {
	var b strings.Builder
	b.WriteString(symbol(e.Status))
	b.WriteByte(' ')
	b.WriteString(e.Node)
	if e.Kind == NodeSkipped {
		b.WriteString(" (")
		b.WriteString(detail(e.Status, e.Reason))
		b.WriteByte(')')
		return b.String()
	}
	fmt.Fprintf(&b, " (%s)", FormatDuration(e.Duration))
	switch {
	case e.Status == StatusFailed && e.Reason == "":
		fmt.Fprintf(&b, " exit %d", e.ExitCode)
	case isChecked(e.NodeKind, e.Status, e.Reason):
		b.WriteString(" " + StatusChecked + ": " + checkedDetail)
	case e.Status == StatusSucceeded && e.Reason == "":
	default:
		b.WriteByte(' ')
		b.WriteString(detail(e.Status, e.Reason))
	}
	// A success at the first try says nothing about attempts: "attempt 1
	// of 2" would read as if something had been retried.
	if e.MaxAttempts > 1 && (e.Attempt > 1 || e.Status != StatusSucceeded) {
		fmt.Fprintf(&b, " [attempt %d of %d]", e.Attempt, e.MaxAttempts)
	}
	return b.String()
}

// NodeKindDeploy is the NodeKind of an environment's deploy node. It only
// checks the promotion rules and opens the deployment; the environment's
// gates and steps follow it, so its success is shown as StatusChecked, never
// as "succeeded", which would read as if the environment were deployed.
const NodeKindDeploy = "deploy"

// StatusChecked is how a deploy node that succeeded is shown.
const StatusChecked = "checked"

// checkedDetail explains StatusChecked.
const checkedDetail = "promotion rules passed (requires, branches)"

// isChecked reports whether a node is a deploy node that succeeded without
// a reason to show instead.
func isChecked(kind, status, reason string) bool {
	return kind == NodeKindDeploy && status == StatusSucceeded && reason == ""
}

// retryLine renders an attempt that failed and will be retried.
func retryLine(e Event) string {
	what := fmt.Sprintf("exit %d", e.ExitCode)
	if e.Reason != "" {
		what = e.Reason
	}
	return fmt.Sprintf("↻ %s attempt %d of %d failed (%s); retrying", e.Node, e.Attempt, e.MaxAttempts, what)
}

// detail joins a status and its reason without repeating the status when
// the reason already starts with it.
func detail(status, reason string) string {
	switch {
	case reason == "":
		return status
	case strings.HasPrefix(reason, status):
		return reason
	default:
		return status + ": " + reason
	}
}
