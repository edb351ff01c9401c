// Package ui renders the progress of a run: a plain, line-oriented log for
// CI and pipes, a live redrawing view for terminals, and the summary table
// printed at the end of a run.
//
// The package knows nothing of plans or schedulers: the scheduler sends
// Events to a Sink, and the summary is described by the plain Summary type,
// so ui imports no other package of this module.
package ui

import "time"

// Kind is the kind of an Event.
type Kind string

// Event kinds, in the order a node produces them: NodeStarted (once per
// attempt), NodeOutput (once per line), NodeRetrying (an attempt failed and
// another follows), then NodeFinished; or NodeSkipped alone for a node that
// never started. RunFinished is the last event of a run.
const (
	NodeStarted  Kind = "node_started"
	NodeOutput   Kind = "node_output"
	NodeRetrying Kind = "node_retrying"
	NodeFinished Kind = "node_finished"
	NodeSkipped  Kind = "node_skipped"
	RunFinished  Kind = "run_finished"
)

// Node and run statuses shared by the scheduler, the sinks and the summary.
const (
	StatusSucceeded  = "succeeded"
	StatusFailed     = "failed"
	StatusTimedOut   = "timed out" // a failure: the step ran longer than its timeout
	StatusCancelled  = "cancelled"
	StatusSkipped    = "skipped"
	StatusStopped    = "stopped"     // a handler stopped the branch (a gate waiting for approval)
	StatusNotReached = "not reached" // downstream of a stopped node
	StatusReused     = "reused"      // succeeded in an earlier attempt of the run (resume)
)

// Event is one thing that happened during a run. Which fields are set
// depends on Kind; Node and Time are always set except for RunFinished,
// which carries Summary.
type Event struct {
	Kind Kind
	Time time.Time
	// Node is the plan node's ID ("build.webapp.compile"); NodeKind is
	// "step", "gate", "release" or "deploy".
	Node     string
	NodeKind string
	// Attempt counts from 1; MaxAttempts is 1 + the step's retries.
	Attempt     int
	MaxAttempts int
	// Stream ("stdout" or "stderr") and Line (without its newline, already
	// masked) are set for NodeOutput.
	Stream string
	Line   string
	// Status, Reason, ExitCode and Duration are set for NodeRetrying,
	// NodeFinished and NodeSkipped. Reason is empty for a plain success.
	Status   string
	Reason   string
	ExitCode int
	Duration time.Duration
	// Summary is set for RunFinished.
	Summary *Summary
}

// Sink receives the events of a run. Implementations must be safe for
// concurrent use: the scheduler calls Event from one goroutine per running
// node.
type Sink interface {
	Event(e Event)
}

// Discard is a Sink that ignores every event.
var Discard Sink = discard{}

type discard struct{}

func (discard) Event(Event) {}

// succeeded reports whether status counts as a success for display.
func succeeded(status string) bool {
	return status == StatusSucceeded || status == StatusReused
}

// symbol returns the one-character mark shown in front of a node's status.
func symbol(status string) string {
	switch status {
	case StatusSucceeded, StatusReused:
		return "✓"
	case StatusFailed, StatusTimedOut:
		return "✗"
	case StatusCancelled:
		return "⊘"
	case StatusStopped:
		return "■"
	default:
		return "○"
	}
}
