// Package dryrun is the runner behind `pipeline run --dry-run`: it accepts
// steps, runs nothing and reports success.
package dryrun

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pipeline-cd/pipeline/runners"
)

// Runner pretends to run steps. Run validates the step like a real runner
// would, records its ID and returns exit code 0 at once, writing nothing:
// the engine, not the runner, prints what a dry run would do. It refuses
// invalid steps (runners.ErrInvalidStep), privileged steps when privileges
// were not allowed (runners.ErrPrivileged), and a context that is already
// done (runners.ErrCanceled), so tests that use it still catch misuse.
// The zero Runner is ready to use and safe for concurrent use.
type Runner struct {
	// AllowPrivileged mirrors --allow-privileged.
	AllowPrivileged bool

	mu    sync.Mutex
	steps []string
}

var _ runners.Runner = (*Runner)(nil)

// New returns a dry-run Runner.
func New(allowPrivileged bool) *Runner {
	return &Runner{AllowPrivileged: allowPrivileged}
}

// Run records step.ID and returns a Result with exit code 0 without running
// anything. stdout and stderr are not written.
func (r *Runner) Run(ctx context.Context, step *runners.Step, stdout, stderr io.Writer) (*runners.Result, error) {
	if err := step.Validate(); err != nil {
		return nil, err
	}
	if (step.Privileged || len(step.Mounts) > 0) && !r.AllowPrivileged {
		return nil, fmt.Errorf("step %q asks for privileged or host mounts: %w", step.ID, runners.ErrPrivileged)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("step %q: %w: %w", step.ID, runners.ErrCanceled, err)
	}
	r.mu.Lock()
	r.steps = append(r.steps, step.ID)
	r.mu.Unlock()
	now := time.Now()
	return &runners.Result{ExitCode: 0, Started: now, Finished: now}, nil
}

// Steps returns the IDs of the steps Run accepted, in the order it
// accepted them.
func (r *Runner) Steps() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.steps...)
}
