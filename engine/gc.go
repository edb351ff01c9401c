package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/pipeline-cd/pipeline/engine/checkout"
	"github.com/pipeline-cd/pipeline/runners"
)

// GCResult says what GC removed.
type GCResult struct {
	// Containers counts step containers of dead pipeline processes.
	Containers int
	// TempFiles counts partial artifact blobs left by killed writers.
	TempFiles int
	// Checkouts counts release checkouts (see engine/checkout) of
	// Options.RepoRoot left by killed deploy and rollback processes.
	Checkouts int
}

// GC removes what killed pipeline processes left behind: step containers
// (through every runner that implements runners.Cleaner; all removes
// containers of live processes too), partial artifact blobs, and the
// release checkouts of Options.RepoRoot made on this host by processes
// that are gone (all: every one).
func (e *Engine) GC(ctx context.Context, all bool) (*GCResult, error) {
	res := &GCResult{}
	var errs []error
	for _, name := range e.runnerNames() {
		c, ok := e.opts.Runners[name].(runners.Cleaner)
		if !ok {
			continue
		}
		n, err := c.Cleanup(ctx, all)
		res.Containers += n
		if err != nil {
			errs = append(errs, fmt.Errorf("runner %s: %w", name, err))
		}
	}
	if e.cas != nil {
		n, err := e.cas.CleanTemp()
		res.TempFiles = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if e.opts.RepoRoot != "" {
		n, err := checkout.Sweep(e.opts.RepoRoot, e.checkoutHost(), all)
		res.Checkouts = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return res, failed(errors.Join(errs...))
	}
	return res, nil
}

// cleanupContainers removes containers of dead pipeline processes at the
// start of a run; failures are logged, never fatal.
func (e *Engine) cleanupContainers(ctx context.Context) {
	for _, name := range e.runnerNames() {
		if c, ok := e.opts.Runners[name].(runners.Cleaner); ok {
			if n, err := c.Cleanup(ctx, false); err != nil {
				e.logger.Warn("removing containers of dead pipeline processes", "runner", name, "error", err)
			} else if n > 0 {
				e.logger.Info("removed containers of dead pipeline processes", "runner", name, "count", n)
			}
		}
	}
}

func (e *Engine) runnerNames() []string {
	names := make([]string, 0, len(e.opts.Runners))
	for n := range e.opts.Runners {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// checkoutHost is the host identity recorded with the release checkouts
// this process makes and compared by their sweep: Options.HostID (machine
// and PID namespace), else Options.Host.
func (e *Engine) checkoutHost() string {
	if e.opts.HostID != "" {
		return e.opts.HostID
	}
	return e.opts.Host
}
