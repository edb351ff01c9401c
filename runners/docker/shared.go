package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/runners"
)

// A shared container runs an idle keeper as its command and each step as an
// exec in it. The Engine API cannot signal an exec's process, so every exec
// runs under a wrapper that writes its PID (in the container's PID
// namespace) to a file under /tmp and then execs the step's command; on a
// timeout or a cancellation another exec (killScript) sends the signal to
// that PID and every process below it, found by walking /proc. Both need
// only a POSIX sh in the image, like any step with run = "...".

// keeperScript is the shared container's command: it idles until stopped.
const keeperScript = `trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done`

// wrapperScript runs "$@" with its PID recorded in the file named by $0.
const wrapperScript = `echo $$ > "$0" 2>/dev/null; exec "$@"`

// killScript sends signal $1 to the process whose PID is in file $2 and to
// all its descendants. It exits 0 when the file is missing (the step has
// not started, or has ended).
const killScript = `sig=$1; root=$(cat "$2" 2>/dev/null) || exit 0
all=$root; level=$root
while [ -n "$level" ]; do
  next=
  for f in /proc/[0-9]*/stat; do
    { read -r p c s pp rest < "$f"; } 2>/dev/null || continue
    for q in $level; do [ "$pp" = "$q" ] && next="$next $p"; done
  done
  all="$all $next"; level=$next
done
kill -s "$sig" $all 2>/dev/null
exit 0`

// execPoll is how often a finished exec is inspected until the engine
// reports it no longer running.
const execPoll = 20 * time.Millisecond

var (
	_ runners.Sharer = (*Runner)(nil)
	_ runners.Shared = (*shared)(nil)
)

// Share implements runners.Sharer: it creates and starts one container for
// proto's image, workspace, artifact store, mounts and privileges, labelled
// like a step's container (so `pipeline gc` removes it after a crash) and
// with runners.LabelShared. Steps then run in it as execs.
func (r *Runner) Share(ctx context.Context, proto *runners.Step) (runners.Shared, error) {
	keeper := *proto
	keeper.Script, keeper.Command, keeper.Env, keeper.Workdir = keeperScript, nil, nil, ""
	spec, err := r.translate(&keeper)
	if err != nil {
		return nil, err
	}
	spec.config.Labels[runners.LabelShared] = "true"
	spec.config.AttachStdout, spec.config.AttachStderr = false, false
	logger := r.logger.With("shared", proto.ID)
	id, err := r.create(ctx, &keeper, spec, logger)
	if err != nil {
		return nil, err
	}
	if err := r.cli.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
		r.remove(id, logger)
		return nil, r.apiError(ctx, proto, "start shared container", err)
	}
	logger.Debug("started shared container", "id", id)
	return &shared{r: r, id: id, proto: keeper, key: fitKey(proto), logger: logger}, nil
}

// shared is one running shared container.
type shared struct {
	r      *Runner
	id     string
	proto  runners.Step
	key    string
	logger hclog.Logger

	mu     sync.Mutex
	closed bool
}

// fitKey is what steps sharing a container must have in common.
func fitKey(s *runners.Step) string {
	ws, art := s.Workspace, s.Artifacts
	if ws != "" {
		ws, _ = filepath.Abs(ws)
	}
	if art != "" {
		art, _ = filepath.Abs(art)
	}
	var caches []string
	for _, c := range s.Caches {
		caches = append(caches, c.Volume+":"+c.Path)
	}
	// The user, the workspace mount and the cache volumes are the
	// container's: a step that differs in them gets its own container.
	return strings.Join([]string{s.Image, s.Pull, ws, art, fmt.Sprint(s.Privileged), strings.Join(s.Mounts, "\x00"),
		s.User, fmt.Sprint(s.NoWorkspace), strings.Join(caches, "\x00")}, "\x01")
}

// Fits implements runners.Shared.
func (s *shared) Fits(step *runners.Step) bool { return fitKey(step) == s.key }

// Close implements runners.Shared: it force-removes the container.
func (s *shared) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	err := s.r.cli.ContainerRemove(ctx, s.id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("remove shared container %s of %s: %w; `pipeline gc` removes it later", s.id, s.proto.ID, err)
	}
	s.logger.Debug("removed shared container", "id", s.id)
	return nil
}

// Run implements runners.Shared: it runs step as an exec in the container.
func (s *shared) Run(ctx context.Context, step *runners.Step, stdout, stderr io.Writer) (*runners.Result, error) {
	if err := step.Validate(); err != nil {
		return nil, err
	}
	if !s.Fits(step) {
		return nil, fmt.Errorf("%w: step %q does not fit the shared container of %s (another image, workspace, mounts or privileges)",
			runners.ErrInvalidStep, step.ID, s.proto.ID)
	}
	if err := s.r.checkPrivileges(step); err != nil {
		return nil, err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("step %q: the shared container of %s is already removed", step.ID, s.proto.ID)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("step %q not started: %w: %w", step.ID, runners.ErrCanceled, err)
	}
	logger := s.logger.With("step", step.ID)
	pidFile := "/tmp/.pipeline-exec-" + token() + ".pid"
	workdir := runners.WorkspaceMount
	if step.Workdir != "" {
		workdir = path.Join(runners.WorkspaceMount, filepath.ToSlash(step.Workdir))
	}
	if step.NoWorkspace {
		workdir = filepath.ToSlash(step.Workdir) // "": the image's WORKDIR
	}
	cmd := append([]string{"sh", "-c", wrapperScript, pidFile}, step.Argv()...)
	created, err := s.r.cli.ContainerExecCreate(ctx, s.id, container.ExecOptions{
		Cmd: cmd, Env: env(stepEnv(step)), WorkingDir: workdir, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return nil, s.r.apiError(ctx, step, "create exec in shared container", err)
	}
	res := &runners.Result{Started: time.Now(), ExitCode: -1}
	attach, err := s.r.cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return nil, s.r.apiError(ctx, step, "start exec in shared container", err)
	}
	defer attach.Close()
	copied := make(chan error, 1)
	ahead := readAhead(attach.Reader, outputAhead)
	defer ahead.Close()
	go func() { copied <- demux(orDiscard(stdout), orDiscard(stderr), ahead) }()

	var timeout <-chan time.Time
	if step.Timeout > 0 {
		timer := time.NewTimer(step.Timeout)
		defer timer.Stop()
		timeout = timer.C
	}
	var stopErr error
	select {
	case err := <-copied:
		if err != nil {
			logger.Debug("exec output stream ended with an error", "error", err)
		}
		copied <- nil
	case <-timeout:
		stopErr = fmt.Errorf("step %q ran longer than its timeout of %s: %w", step.ID, step.Timeout, runners.ErrTimeout)
		s.stop(pidFile, copied, logger)
	case <-ctx.Done():
		stopErr = fmt.Errorf("step %q: %w: %w", step.ID, runners.ErrCanceled, ctx.Err())
		s.stop(pidFile, copied, logger)
	}
	s.r.drain(attach, copied, logger)
	code, err := s.exitCode(created.ID)
	res.Finished = time.Now()
	if err != nil && stopErr == nil {
		return res, s.r.apiError(ctx, step, "inspect exec", err)
	}
	res.ExitCode = code
	if stopErr != nil {
		return res, stopErr
	}
	logger.Debug("exec exited", "code", code)
	return res, nil
}

// stop sends SIGTERM to the exec's processes, then SIGKILL after the grace
// period, until its output stream ends; it returns when the stream ended or
// the kill was sent and the drain time passed.
func (s *shared) stop(pidFile string, copied chan error, logger hclog.Logger) {
	ended := func(wait time.Duration) bool {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case err := <-copied:
			copied <- err
			return true
		case <-t.C:
			return false
		}
	}
	s.signal("TERM", pidFile, logger)
	if ended(s.r.opts.StopGrace) {
		return
	}
	logger.Warn("step in the shared container ignored SIGTERM; killing it")
	s.signal("KILL", pidFile, logger)
	ended(outputDrain)
}

// signal runs killScript in the container for sig and waits for it.
func (s *shared) signal(sig, pidFile string, logger hclog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	created, err := s.r.cli.ContainerExecCreate(ctx, s.id, container.ExecOptions{
		Cmd: []string{"sh", "-c", killScript, "sh", sig, pidFile}, User: "0",
	})
	if err == nil {
		var attach io.Closer
		hijack, aerr := s.r.cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
		if aerr == nil {
			attach = hijack.Conn
			_, _ = io.Copy(io.Discard, hijack.Reader)
			_ = attach.Close()
		}
		err = aerr
	}
	if err != nil {
		logger.Warn("could not signal the step in the shared container", "signal", sig, "error", err)
	}
}

// exitCode inspects the finished exec until the engine reports it ended.
func (s *shared) exitCode(execID string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	for {
		ins, err := s.r.cli.ContainerExecInspect(ctx, execID)
		if err != nil {
			return -1, err
		}
		if !ins.Running {
			return ins.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return -1, errors.New("the exec still runs after its output ended")
		case <-time.After(execPoll):
		}
	}
}

// token returns a random name part for an exec's PID file.
func token() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
