package docker

import (
	"context"
	"errors"
	"fmt"
	"os"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"

	"github.com/pipeline-cd/pipeline/runners"
)

var (
	// ErrDaemonUnreachable reports that no Docker engine answers where the
	// environment (DOCKER_HOST) says one is.
	ErrDaemonUnreachable = errors.New("cannot reach the Docker engine")
	// ErrImageMissing reports an image that is not present while the step's
	// pull policy is "never".
	ErrImageMissing = errors.New("image not present")
	// ErrPullFailed reports an image that could not be pulled.
	ErrPullFailed = errors.New("image pull failed")
)

// apiError wraps err from the API call op for step: a connection failure
// becomes ErrDaemonUnreachable with advice, a call cut short by ctx becomes
// runners.ErrCanceled.
func (r *Runner) apiError(ctx context.Context, step *runners.Step, op string, err error) error {
	switch {
	case client.IsErrConnectionFailed(err):
		host := r.cli.DaemonHost()
		return fmt.Errorf("step %q: %s: %w at %s: %w; %s", step.ID, op, ErrDaemonUnreachable, host, err, hostAdvice())
	case ctx.Err() != nil:
		return fmt.Errorf("step %q: %s: %w: %w", step.ID, op, runners.ErrCanceled, ctx.Err())
	}
	return fmt.Errorf("step %q: %s: %w", step.ID, op, err)
}

// hostAdvice says how to fix an unreachable engine.
func hostAdvice() string {
	env := os.Getenv("DOCKER_HOST")
	where := "DOCKER_HOST is not set, so the default socket is used"
	if env != "" {
		where = fmt.Sprintf("DOCKER_HOST=%s", env)
	}
	return where + `; start the Docker daemon (for example: sudo systemctl start docker), ` +
		`set DOCKER_HOST to the engine's address (for example unix:///var/run/docker.sock), ` +
		`or run the steps on the host with runner = "local"`
}

func isNotFound(err error) bool {
	return cerrdefs.IsNotFound(err)
}
