// Package docker runs steps in containers through the Docker Engine API.
//
// Per step the Runner makes sure the image is present (pulling it according
// to the step's pull policy), creates a container with the workspace
// bind-mounted at runners.WorkspaceMount as its working directory, attaches
// to its output before starting it, streams stdout and stderr demultiplexed,
// waits for it, and removes it. Containers run unprivileged with only the
// workspace mounted unless the run allowed more.
package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/hashicorp/go-hclog"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/pipeline-cd/pipeline/internal/hostid"
	"github.com/pipeline-cd/pipeline/runners"
)

// DefaultStopGrace is the time between SIGTERM and SIGKILL when a container
// is stopped and Options.StopGrace is zero.
const DefaultStopGrace = 10 * time.Second

// cleanupTimeout bounds every call made on a fresh context after a step
// ended (stop, remove), so cleanup happens even when the step's context is
// cancelled but never hangs forever.
const cleanupTimeout = 30 * time.Second

// outputDrain is how long Run waits, after the container exited, for the
// rest of its output before it closes the stream.
const outputDrain = 10 * time.Second

// outputAhead is how much of a step's output is read from the engine ahead
// of the writers (see readAhead).
const outputAhead = 8 << 20

// Client lists the Docker Engine API calls the Runner makes.
// *client.Client from github.com/docker/docker/client implements it.
type Client interface {
	Ping(ctx context.Context) (types.Ping, error)
	DaemonHost() string
	ImageInspect(ctx context.Context, imageID string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImagePull(ctx context.Context, ref string, options image.PullOptions) (io.ReadCloser, error)
	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, containerName string) (container.CreateResponse, error)
	ContainerAttach(ctx context.Context, containerID string, options container.AttachOptions) (types.HijackedResponse, error)
	ContainerStart(ctx context.Context, containerID string, options container.StartOptions) error
	ContainerWait(ctx context.Context, containerID string, condition container.WaitCondition) (<-chan container.WaitResponse, <-chan error)
	ContainerKill(ctx context.Context, containerID, signal string) error
	ContainerRemove(ctx context.Context, containerID string, options container.RemoveOptions) error
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerExecCreate(ctx context.Context, containerID string, options container.ExecOptions) (container.ExecCreateResponse, error)
	ContainerExecAttach(ctx context.Context, execID string, config container.ExecAttachOptions) (types.HijackedResponse, error)
	ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error)
}

var _ Client = (*client.Client)(nil)

// Options configure a Runner.
type Options struct {
	// AllowPrivileged mirrors --allow-privileged: steps may then ask for
	// privileged mode and host mounts, the Docker socket included.
	// Without it such steps are refused with runners.ErrPrivileged.
	AllowPrivileged bool
	// StopGrace is the time between SIGTERM and SIGKILL when a step is
	// stopped by its timeout or by cancellation; 0 means DefaultStopGrace.
	StopGrace time.Duration
	// NoInit runs the step's command as PID 1 instead of under the engine's
	// init (docker-init), for engines installed without one. PID 1 ignores
	// SIGTERM unless it handles it, so stopping then takes the full grace
	// period.
	NoInit bool
	// HostID is the host identity recorded on every container (label
	// runners.LabelHost) and the only one Cleanup touches; empty: the
	// identity internal/hostid gives without a state directory.
	HostID string
}

// Runner runs steps in Docker containers. It is safe for concurrent use.
// Containers of steps that finished are removed in the background; call
// Close (or Wait) before the process exits so none is left behind.
type Runner struct {
	cli    Client
	opts   Options
	init   bool
	logger hclog.Logger
	closer io.Closer

	// present remembers images known to exist, so that steps after the
	// first skip the inspect round trip.
	present sync.Map
	// volumes remembers cache volumes known to exist.
	volumes sync.Map
	// ids remembers image IDs by reference (see ImageID).
	ids sync.Map
	// removals counts container removals still running.
	removals sync.WaitGroup
}

var (
	_ runners.Runner  = (*Runner)(nil)
	_ runners.Cleaner = (*Runner)(nil)
)

// New returns a Runner that talks to the engine through cli. A nil logger
// discards logs. The Runner does not close cli.
func New(cli Client, opts Options, logger hclog.Logger) *Runner {
	if opts.StopGrace <= 0 {
		opts.StopGrace = DefaultStopGrace
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	if opts.HostID == "" {
		opts.HostID, _ = hostid.Get("")
	}
	return &Runner{cli: cli, opts: opts, init: !opts.NoInit, logger: logger.Named("docker")}
}

// NewFromEnv returns a Runner for the engine the usual environment names
// (DOCKER_HOST, DOCKER_API_VERSION, DOCKER_CERT_PATH, DOCKER_TLS_VERIFY),
// negotiating the API version with it. It does not contact the engine; use
// Ping for an early check. Close closes the client.
func NewFromEnv(opts Options, logger hclog.Logger) (*Runner, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("%w: %w; %s", ErrDaemonUnreachable, err, hostAdvice())
	}
	r := New(cli, opts, logger)
	r.closer = cli
	return r, nil
}

// Ping checks that the engine answers, returning an error wrapping
// ErrDaemonUnreachable that says what to do when it does not.
func (r *Runner) Ping(ctx context.Context) error {
	if _, err := r.cli.Ping(ctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("ping the Docker engine: %w", ctx.Err())
		}
		return fmt.Errorf("%w at %s: %w; %s", ErrDaemonUnreachable, r.cli.DaemonHost(), err, hostAdvice())
	}
	return nil
}

// Run runs step in a new container and waits for it; see runners.Runner.
// When the step's timeout elapses or ctx is cancelled, the container gets
// SIGTERM, then SIGKILL after the grace period, is removed before Run
// returns, and Run returns the Result so far with an error wrapping
// runners.ErrTimeout or runners.ErrCanceled. The container of a step that
// ran to its end is removed in the background.
func (r *Runner) Run(ctx context.Context, step *runners.Step, stdout, stderr io.Writer) (*runners.Result, error) {
	if err := step.Validate(); err != nil {
		return nil, err
	}
	spec, err := r.translate(step)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("step %q not started: %w: %w", step.ID, runners.ErrCanceled, err)
	}
	logger := r.logger.With("step", step.ID)
	id, err := r.create(ctx, step, spec, logger)
	if err != nil {
		return nil, err
	}
	res, err := r.runContainer(ctx, step, id, stdout, stderr, logger)
	if err != nil {
		r.remove(id, logger)
		return res, err
	}
	r.removals.Add(1)
	go func() {
		defer r.removals.Done()
		r.remove(id, logger)
	}()
	return res, nil
}

// create makes sure the image is present and creates the container. When
// the engine no longer has an image it was known to have, create forgets
// it and tries once more.
func (r *Runner) create(ctx context.Context, step *runners.Step, spec *containerSpec, logger hclog.Logger) (string, error) {
	for attempt := 0; ; attempt++ {
		if err := r.ensureImage(ctx, step, logger); err != nil {
			return "", err
		}
		if err := r.ensureVolumes(ctx, step, logger); err != nil {
			return "", err
		}
		nonce := newNonce()
		spec.config.Labels[labelCreate] = nonce
		created, err := r.cli.ContainerCreate(ctx, spec.config, spec.host, nil, nil, "")
		if err != nil && ctx.Err() != nil {
			// The engine may have created it all the same.
			r.removeInterrupted(nonce, logger)
		}
		if err == nil {
			for _, w := range created.Warnings {
				logger.Warn("container created with a warning", "warning", w)
			}
			logger.Debug("created container", "id", created.ID)
			return created.ID, nil
		}
		if isNotFound(err) && attempt == 0 {
			r.present.Delete(step.Image)
			continue
		}
		return "", r.apiError(ctx, step, "create container", err)
	}
}

// runContainer attaches to, starts and waits for container id.
func (r *Runner) runContainer(ctx context.Context, step *runners.Step, id string, stdout, stderr io.Writer, logger hclog.Logger) (*runners.Result, error) {
	attach, err := r.cli.ContainerAttach(ctx, id, container.AttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		return nil, r.apiError(ctx, step, "attach to container", err)
	}
	defer attach.Close()
	copied := make(chan error, 1)
	ahead := readAhead(attach.Reader, outputAhead)
	defer ahead.Close()
	go func() { copied <- demux(orDiscard(stdout), orDiscard(stderr), ahead) }()

	// The wait must outlive ctx: after a cancellation Run still waits for
	// the container it stopped.
	waitCtx, cancelWait := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWait()
	waitC, waitErrC := r.cli.ContainerWait(waitCtx, id, container.WaitConditionNextExit)

	res := &runners.Result{Started: time.Now(), ExitCode: -1}
	if err := r.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		attach.Close()
		<-copied
		return nil, r.apiError(ctx, step, "start container", err)
	}
	var timeout <-chan time.Time
	if step.Timeout > 0 {
		timer := time.NewTimer(step.Timeout)
		defer timer.Stop()
		timeout = timer.C
	}

	var status *container.WaitResponse
	var stopErr, waitErr error
	select {
	case w := <-waitC:
		status = &w
	case waitErr = <-waitErrC:
	case <-timeout:
		stopErr = fmt.Errorf("step %q ran longer than its timeout of %s: %w", step.ID, step.Timeout, runners.ErrTimeout)
		status, waitErr = r.stop(id, waitC, waitErrC, logger)
	case <-ctx.Done():
		stopErr = fmt.Errorf("step %q: %w: %w", step.ID, runners.ErrCanceled, ctx.Err())
		status, waitErr = r.stop(id, waitC, waitErrC, logger)
	}
	res.Finished = time.Now()
	if status != nil {
		res.ExitCode = int(status.StatusCode)
	}
	r.drain(attach, copied, logger)
	switch {
	case stopErr != nil:
		return res, stopErr
	case waitErr != nil:
		return res, r.apiError(ctx, step, "wait for container", waitErr)
	case status.Error != nil && status.Error.Message != "":
		return res, fmt.Errorf("step %q: wait for container: %s", step.ID, status.Error.Message)
	}
	logger.Debug("container exited", "code", res.ExitCode)
	return res, nil
}

// drain waits for the rest of the output once the container has stopped,
// closing the stream if it does not end in time, so that nothing is
// written after Run returns.
func (r *Runner) drain(attach types.HijackedResponse, copied <-chan error, logger hclog.Logger) {
	timer := time.NewTimer(outputDrain)
	defer timer.Stop()
	select {
	case err := <-copied:
		if err != nil {
			logger.Debug("output stream ended with an error", "error", err)
		}
		return
	case <-timer.C:
		logger.Warn("output stream still open after the container stopped; closing it")
		attach.Close()
	}
	<-copied
}

// stop sends SIGTERM to the container, then SIGKILL after the grace
// period, and returns its exit status when it stopped.
func (r *Runner) stop(id string, waitC <-chan container.WaitResponse, waitErrC <-chan error, logger hclog.Logger) (*container.WaitResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.StopGrace+cleanupTimeout)
	defer cancel()
	logger.Debug("stopping container", "id", id, "grace", r.opts.StopGrace)
	if err := r.cli.ContainerKill(ctx, id, "TERM"); err != nil {
		logger.Debug("SIGTERM not delivered", "id", id, "error", err)
	}
	grace := time.NewTimer(r.opts.StopGrace)
	defer grace.Stop()
	select {
	case w := <-waitC:
		return &w, nil
	case err := <-waitErrC:
		return nil, err
	case <-grace.C:
	}
	logger.Warn("container ignored SIGTERM; killing it", "id", id)
	if err := r.cli.ContainerKill(ctx, id, "KILL"); err != nil {
		logger.Debug("SIGKILL not delivered", "id", id, "error", err)
	}
	select {
	case w := <-waitC:
		return &w, nil
	case err := <-waitErrC:
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// remove force-removes container id on a fresh context; errors are logged,
// not returned, because the step's outcome is already decided and Cleanup
// catches anything left over.
func (r *Runner) remove(id string, logger hclog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	err := r.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !isNotFound(err) {
		logger.Error("could not remove container; `pipeline gc` removes it later", "id", id, "error", err)
		return
	}
	logger.Debug("removed container", "id", id)
}

// Wait blocks until the background removals of finished steps' containers
// are done or ctx is done. Call it once every Run has returned: a Run
// still in progress may start a removal Wait does not see.
func (r *Runner) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		r.removals.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for containers to be removed: %w", ctx.Err())
	}
}

// Close waits like Wait, then closes the client when NewFromEnv made it.
// Call it once every Run has returned; the Runner must not be used after.
func (r *Runner) Close(ctx context.Context) error {
	err := r.Wait(ctx)
	if r.closer != nil {
		err = errors.Join(err, r.closer.Close())
	}
	return err
}

// demux copies the engine's multiplexed stream r to stdout and stderr
// until it ends.
func demux(stdout, stderr io.Writer, r io.Reader) error {
	_, err := stdcopy.StdCopy(stdout, stderr, r)
	return err
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
