// Package exec executes a plan: it walks the plan's DAG with bounded
// parallelism, runs each step through a runner, hands gate, release and
// deploy nodes to a Handler supplied by the engine facade, and records
// every node, attempt, exit code and masked log line in the state store as
// it happens.
//
// Scheduling rules:
//   - A node starts as soon as every node it needs has succeeded (or was
//     reused from an earlier attempt of the run, or skipped because its when
//     condition is false: such a step counts as done for its dependents).
//   - A failed step fails the run; nodes that depend on it, directly or not,
//     are skipped with the reason "skipped: ID failed"; independent branches
//     go on, or, with FailFast, running steps are cancelled and every node
//     not yet finished is skipped ("skipped: --fail-fast after ID failed").
//   - A Handler returning an error wrapping ErrStop stops its branch without
//     failing the run: dependents are "not reached" and run on resume.
//   - Cancelling ctx cancels running steps (runners stop and remove their
//     containers); the run and every unfinished node are cancelled.
//
// Steps the plan marks Shared (a stage with container = "shared") run in
// one environment per stage when their runner has the runners.Sharer
// capability (the Docker runner: execs in one container); it is started by
// the stage's first such step and closed when the stage's node is reached
// or decided, or when Run ends. Other runners run them one by one.
//
// Output lines are batched to the store by a background writer (see
// logBatcher); Options.LogLimit caps what is stored of each step attempt.
//
// All output passes through a line-masking writer built from the run's
// secret values before it reaches the Sink or the store; reasons recorded
// in the store are masked too.
//
// The package records nodes and logs only; creating and updating the run
// record itself (its status, reason and finish time) is the caller's.
package exec

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine/cache"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/ui"
	"github.com/pipeline-cd/pipeline/runners"
)

// Node and run statuses, as reported in Result and NodeResult.
const (
	StatusSucceeded  = ui.StatusSucceeded
	StatusFailed     = ui.StatusFailed
	StatusTimedOut   = ui.StatusTimedOut
	StatusCancelled  = ui.StatusCancelled
	StatusSkipped    = ui.StatusSkipped
	StatusStopped    = ui.StatusStopped
	StatusNotReached = ui.StatusNotReached
	StatusReused     = ui.StatusReused
)

var (
	// ErrStop is wrapped by a Handler error that stops a branch without
	// failing the run, such as a gate waiting for approval.
	ErrStop = errors.New("branch stopped")
	// ErrWhenFalse may be wrapped by an error from Options.Resolve to say
	// that the step's when condition, evaluated late, is false: the step
	// is skipped, not failed, and the error's text is the skip reason.
	ErrWhenFalse = errors.New("when condition is false")
	// ErrUnknownValue reports a step value that is not known yet when the
	// step is about to run (a release.* value before the release exists).
	ErrUnknownValue = errors.New("value not known yet")
	// ErrNoRunner reports a step whose runner is not configured.
	ErrNoRunner = errors.New("no runner for step")
	// ErrMissingSecret reports a step that lists a secret whose value was
	// not supplied.
	ErrMissingSecret = errors.New("secret value missing")
	// ErrNoHandler reports a plan with gate, release or deploy nodes run
	// without a Handler.
	ErrNoHandler = errors.New("no handler for non-step nodes")
)

// Handler runs a non-step node (gate, release, deploy); the engine facade
// supplies it. It must watch ctx and return promptly once ctx is done.
// Returning an error wrapping ErrStop stops that branch without failing the
// run: its dependents are reported as "not reached" rather than skipped.
// Any other error fails the node like a failed step.
type Handler interface {
	RunNode(ctx context.Context, n *plan.Node) error
}

// DefaultParallelism is how many nodes run at once unless Options say
// otherwise: steps mostly wait on the Docker engine, not on this machine's
// CPUs. Chosen by measurement (make bench, section 6): in two runs on a
// 2-core machine, 16 independent container steps ran 2.05x and 2.98x
// faster at 16 than at 1, against 1.82x and 2.09x at 8; see README
// "Performance".
const DefaultParallelism = 16

// Options configure one Run.
type Options struct {
	// Parallelism bounds how many nodes run at once; <= 0 means
	// DefaultParallelism.
	Parallelism int
	// FailFast cancels running steps and skips everything not yet started
	// as soon as one step fails.
	FailFast bool
	// Runner runs steps that name no runner; Runners holds the runners
	// steps may name ("docker", "local").
	Runner  runners.Runner
	Runners map[string]runners.Runner
	// Workspace is the host directory holding the sources.
	Workspace string
	// Secrets maps a secret block's name to its value, already read from
	// the environment by the caller. A step receives only the secrets it
	// lists, as environment variables. Every value is masked everywhere.
	Secrets map[string]string
	// Sensitive lists the values of variables declared sensitive: masked
	// everywhere like secrets, shown as mask.SensitiveReplacement. Values
	// shorter than mask.MinSecretLen are ignored.
	Sensitive []string
	// Store and RunID: when Store is non-nil, nodes (when they start and
	// end), attempts, exit codes and masked logs are recorded under RunID
	// as they happen. The run record must exist. A step the store already
	// records attempts of (a resumed run) numbers its attempts on from
	// there (recorded Attempts + 1), with its full retries, so its log
	// lines never clash with those of the earlier attempts.
	Store state.Store
	RunID string
	// LogLimit bounds the stored log of each step attempt, in bytes of
	// text (a newline counted per line): beyond it the store keeps the
	// first and the last half and a line saying what was cut; the Output
	// still gets every line. 0 means DefaultLogLimit; negative, no limit.
	LogLimit int64
	// Done holds node IDs that already succeeded (resume): they are not
	// run again, are reported as reused, and are not re-recorded.
	Done map[string]bool
	// Resolve, when set, builds the runners.Step for a step node just
	// before it runs (late evaluation of release.* values); the default
	// builds it from the node's values and fails with ErrUnknownValue if
	// one is still unknown. Secrets, labels, timeout, workspace and run ID
	// are filled in by Run after Resolve returns.
	Resolve func(n *plan.Node) (*runners.Step, error)
	// Handler runs gate, release and deploy nodes; required when the plan
	// has any that are not in Done.
	Handler Handler
	// Output receives the run's events; nil discards them.
	Output ui.Sink
	// Clock is the time source; nil means time.Now.
	Clock func() time.Time
	// Logger receives diagnostics of the scheduler itself; nil discards.
	Logger hclog.Logger

	// Cache, when set, makes steps that declare inputs reusable: a step
	// whose key (image ID, command, env without secrets, secret names,
	// input files, keys of the steps it needs) matches a recorded success
	// is not run; its outputs are restored and it finishes as reused. Its
	// successes are recorded for later runs.
	Cache *cache.Cache
	// NoCache runs every step; successes are still recorded for reuse.
	NoCache bool
	// User is the container user ("UID:GID") of steps that mount the
	// workspace and set no user; "" leaves the image's user.
	User string
	// CacheRoot is the directory whose .pipeline/cache holds the tool
	// caches of steps on the host (the repository root); "" means
	// Workspace.
	CacheRoot string
}

// Result is the outcome of a Run.
type Result struct {
	// Status is succeeded, failed, cancelled or stopped.
	Status string
	// Nodes holds every node of the plan by ID.
	Nodes map[string]*NodeResult
	// Order lists the node IDs in the plan's topological order. Nodes and
	// Order include stage nodes (kind "stage"), which do no work and are
	// left out of the output, the store and the summary.
	Order []string
	Wall  time.Duration
	// CriticalPath is the chain of nodes with the longest measured total
	// duration; it lists only nodes that ran in this walk (not skipped,
	// not reached, not reused).
	CriticalPath []string
}

// NodeResult is the outcome of one node.
type NodeResult struct {
	ID   string
	Kind string
	// Status is one of the Status constants; Reason explains any status
	// but a plain success (skip reason, timeout, error), masked.
	Status, Reason     string
	Attempts, ExitCode int
	Started, Finished  time.Time
}

// Duration is Finished - Started, or 0 for a node that never started.
func (n *NodeResult) Duration() time.Duration {
	if n.Started.IsZero() || n.Finished.IsZero() {
		return 0
	}
	return n.Finished.Sub(n.Started)
}

// Summary converts r for ui.WriteSummary.
func (r *Result) Summary() ui.Summary {
	s := ui.Summary{Status: r.Status, CriticalPath: r.CriticalPath, Wall: r.Wall}
	for _, id := range r.Order {
		n := r.Nodes[id]
		if n.Kind == string(plan.KindStage) {
			continue
		}
		s.Nodes = append(s.Nodes, ui.SummaryNode{
			ID: n.ID, Kind: n.Kind, Status: n.Status, Reason: n.Reason,
			Attempts: n.Attempts, ExitCode: n.ExitCode, Duration: n.Duration(),
		})
	}
	return s
}
