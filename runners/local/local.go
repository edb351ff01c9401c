// Package local runs steps as processes on the host, in the workspace, for
// machines without Docker (runner = "local").
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/runners"
)

// DefaultStopGrace is how long a stopped step has between SIGTERM and SIGKILL
// when Options.StopGrace is zero.
const DefaultStopGrace = 10 * time.Second

// HostEnv lists the host environment variables a step inherits; everything
// else in the host environment stays out of the step. Step.Env is added on
// top and wins.
var HostEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR", "TERM"}

// Options configure a Runner.
type Options struct {
	// AllowPrivileged lets steps that ask for Privileged run (a host process
	// has the privileges of the pipeline process anyway). Without it such
	// steps are refused with runners.ErrPrivileged.
	AllowPrivileged bool
	// StopGrace is the time between SIGTERM and SIGKILL when a step is
	// stopped by its timeout or by cancellation; 0 means DefaultStopGrace.
	StopGrace time.Duration
}

// Runner runs each step as a host process: "sh -c Script" or Command, in
// the step's Workspace (joined with Workdir), in its own process group so
// that stopping it stops everything it started. It is safe for concurrent
// use and holds no resources between runs.
type Runner struct {
	opts   Options
	logger hclog.Logger
}

var _ runners.Runner = (*Runner)(nil)

// New returns a local Runner. A nil logger discards logs.
func New(opts Options, logger hclog.Logger) *Runner {
	if opts.StopGrace <= 0 {
		opts.StopGrace = DefaultStopGrace
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Runner{opts: opts, logger: logger.Named("local")}
}

// Run runs step and waits for it. See runners.Runner for the contract.
// Mounts cannot be honoured on the host and are refused. When the step's
// timeout elapses or ctx is cancelled, the process group gets SIGTERM, then
// SIGKILL after the grace period, and Run returns the Result so far with an
// error wrapping runners.ErrTimeout or runners.ErrCanceled. A process killed
// by a signal reports exit code 128+signal, as shells do.
func (r *Runner) Run(ctx context.Context, step *runners.Step, stdout, stderr io.Writer) (*runners.Result, error) {
	if err := step.Validate(); err != nil {
		return nil, err
	}
	if step.Privileged && !r.opts.AllowPrivileged {
		return nil, fmt.Errorf("step %q asks for privileged: %w (or remove privileged)", step.ID, runners.ErrPrivileged)
	}
	if len(step.Mounts) > 0 {
		return nil, fmt.Errorf("step %q has mounts, which the local runner cannot provide: %w; remove them or run the step in Docker",
			step.ID, runners.ErrInvalidStep)
	}
	dir, err := workdir(step)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("step %q not started: %w: %w", step.ID, runners.ErrCanceled, err)
	}
	logger := r.logger.With("step", step.ID)

	argv := step.Argv()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	env, err := cacheEnv(step)
	if err != nil {
		return nil, err
	}
	cmd.Env = environ(env)
	// nil writers connect the process to the null device.
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Bounds the wait for output pipes held open by a process that left
	// the group; the group itself is killed below.
	cmd.WaitDelay = time.Second

	res := &runners.Result{Started: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start step %q (%s) in %s: %w", step.ID, argv[0], dir, err)
	}
	logger.Debug("started", "pid", cmd.Process.Pid, "dir", dir)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var timeout <-chan time.Time
	if step.Timeout > 0 {
		timer := time.NewTimer(step.Timeout)
		defer timer.Stop()
		timeout = timer.C
	}

	var stopErr error
	var waitErr error
	select {
	case waitErr = <-done:
	case <-timeout:
		stopErr = fmt.Errorf("step %q ran longer than its timeout of %s: %w", step.ID, step.Timeout, runners.ErrTimeout)
		waitErr = r.stop(cmd.Process.Pid, done, logger)
	case <-ctx.Done():
		stopErr = fmt.Errorf("step %q: %w: %w", step.ID, runners.ErrCanceled, ctx.Err())
		waitErr = r.stop(cmd.Process.Pid, done, logger)
	}
	res.Finished = time.Now()
	res.ExitCode = exitCode(cmd.ProcessState)
	if stopErr != nil {
		return res, stopErr
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		return res, fmt.Errorf("step %q: %w", step.ID, waitErr)
	}
	logger.Debug("exited", "code", res.ExitCode)
	return res, nil
}

// stop sends SIGTERM to the process group pgid, then SIGKILL after the
// grace period, and returns what cmd.Wait returned.
func (r *Runner) stop(pgid int, done <-chan error, logger hclog.Logger) error {
	logger.Debug("stopping", "pgid", pgid, "grace", r.opts.StopGrace)
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	grace := time.NewTimer(r.opts.StopGrace)
	defer grace.Stop()
	select {
	case err := <-done:
		// The leader is gone; make sure nothing it left in the group lingers.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return err
	case <-grace.C:
		logger.Warn("step ignored SIGTERM; killing it", "pgid", pgid)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return <-done
	}
}

// workdir returns the absolute directory step runs in and checks it exists.
func workdir(step *runners.Step) (string, error) {
	if step.Workspace == "" {
		return "", fmt.Errorf("%w: step %q has no workspace", runners.ErrInvalidStep, step.ID)
	}
	dir, err := filepath.Abs(filepath.Join(step.Workspace, step.Workdir))
	if err != nil {
		return "", fmt.Errorf("step %q: workspace %q: %w", step.ID, step.Workspace, err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("step %q: working directory: %w; create it or fix workdir", step.ID, err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("step %q: working directory %s is not a directory; fix workdir", step.ID, dir)
	}
	return dir, nil
}

// environ returns the step environment: the HostEnv variables that are set,
// then env, sorted by name.
func environ(env map[string]string) []string {
	vars := make(map[string]string, len(HostEnv)+len(env))
	for _, name := range HostEnv {
		if v, ok := os.LookupEnv(name); ok {
			vars[name] = v
		}
	}
	for k, v := range env {
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// exitCode returns the exit status, or 128+signal for a process killed by
// a signal, or -1 when unknown.
func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// cacheEnv creates the host directories of the step's caches and returns
// its environment with PIPELINE_CACHE set to their common root: the cache
// of container path P is $PIPELINE_CACHE/P (for the engine:
// .pipeline/cache/PIPELINE/P at the repository root).
func cacheEnv(step *runners.Step) (map[string]string, error) {
	if len(step.Caches) == 0 {
		return step.Env, nil
	}
	out := make(map[string]string, len(step.Env)+1)
	for k, v := range step.Env {
		out[k] = v
	}
	for _, c := range step.Caches {
		if c.HostDir == "" {
			return nil, fmt.Errorf("%w: step %q: cache %s has no host directory", runners.ErrInvalidStep, step.ID, c.Path)
		}
		if err := os.MkdirAll(c.HostDir, 0o755); err != nil {
			return nil, fmt.Errorf("step %q: creating the cache directory of %s: %w", step.ID, c.Path, err)
		}
		if _, ok := out["PIPELINE_CACHE"]; !ok {
			out["PIPELINE_CACHE"] = strings.TrimSuffix(c.HostDir, filepath.FromSlash(c.Path))
		}
	}
	return out, nil
}
