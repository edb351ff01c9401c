package docker

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/pipeline-cd/pipeline/internal/proc"
	"github.com/pipeline-cd/pipeline/runners"
)

// Cleanup removes containers this package created on this host identity,
// found by the labels runners.LabelManaged=true and runners.LabelHost =
// Options.HostID: when all is false only those whose creating process
// (label runners.LabelPID) is no longer alive, when all is true every one
// of them, running or not. It returns how many it removed. Containers of
// other host identities sharing the engine (other machines through
// DOCKER_HOST, other CI runners on one daemon, other PID namespaces), and
// containers without a host label (made before the label existed), are
// never touched: their PIDs mean nothing here. A container of this host
// whose PID label is missing or unreadable counts as an orphan. A PID
// reused by an unrelated process keeps its containers until a later
// Cleanup; that errs on the side of not killing live steps.
//
// Cleanup lists containers, so Run never calls it: call it at start-up and
// from `pipeline gc`.
func (r *Runner) Cleanup(ctx context.Context, all bool) (int, error) {
	list, err := r.cli.ContainerList(ctx, container.ListOptions{
		All: true,
		Filters: filters.NewArgs(filters.Arg("label", runners.LabelManaged+"=true"),
			filters.Arg("label", runners.LabelHost+"="+r.opts.HostID)),
	})
	if err != nil {
		return 0, r.apiError(ctx, &runners.Step{ID: "cleanup"}, "list containers", err)
	}
	removed := 0
	var errs []error
	for _, c := range list {
		if c.Labels[runners.LabelHost] != r.opts.HostID {
			continue // the filter already says so; never trust one line alone
		}
		if !all && processAlive(c.Labels[runners.LabelPID]) {
			continue
		}
		err := r.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		switch {
		case err == nil:
			removed++
			r.logger.Info("removed leftover container", "id", c.ID,
				"run", c.Labels[runners.LabelRun], "step", c.Labels[runners.LabelStep])
		case isNotFound(err), cerrdefs.IsConflict(err):
			// Gone already, or another pipeline process (a concurrent
			// gc) is removing it right now: either way it is not ours
			// to report.
		default:
			errs = append(errs, fmt.Errorf("remove container %s: %w", c.ID, err))
		}
	}
	return removed, errors.Join(errs...)
}

// processAlive reports whether the process with the decimal PID pid runs
// on this host (proc.Alive: a zombie is gone).
func processAlive(pid string) bool {
	n, err := strconv.Atoi(pid)
	return err == nil && proc.Alive(n)
}
