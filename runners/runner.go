// Package runners defines the contract between the engine and the things
// that run one step: a Docker container, a host process, or a dry run.
// In the manner of database/sql/driver it holds only the interface and plain
// data types, and imports nothing beyond the standard library.
package runners

import (
	"context"
	"errors"
	"io"
	"time"
)

// Runner runs one step to completion.
//
// Run blocks until the step has exited, its context is cancelled or its
// timeout elapses. Output is written to stdout and stderr as it is produced;
// writes to each are serialized but the two may be called from different
// goroutines. A step that ran and exited non-zero is not an error: Run returns
// a Result with the exit code and a nil error. An error means the step could
// not be run or did not finish (image missing, daemon unreachable, timeout,
// cancellation); wrap ErrTimeout and ErrCanceled so callers can tell with
// errors.Is. Implementations are safe for concurrent use by several steps.
type Runner interface {
	Run(ctx context.Context, step *Step, stdout, stderr io.Writer) (*Result, error)
}

// Step is everything a runner needs to run one step.
type Step struct {
	// ID is unique within a run ("build.webapp.compile").
	ID    string
	RunID string

	// Exactly one of Script (run through "sh -c") or Command (exec form).
	Script  string
	Command []string

	Image string // Docker only
	// Pull is "missing" (default when empty), "always" or "never". Docker only.
	Pull string
	// Workspace is the host directory holding the checked-out sources. The
	// Docker runner bind-mounts it at WorkspaceMount; the local runner runs
	// in it.
	Workspace string
	// Workdir is relative to the workspace; empty means the workspace root.
	Workdir string
	Env     map[string]string // including secret values
	Timeout time.Duration     // 0: no timeout
	// Privileged and Mounts are honoured only when the engine allowed them
	// (--allow-privileged); runners refuse them otherwise.
	Privileged bool
	Mounts     []string // "HOST:CONTAINER[:ro]"
	// Artifacts, when set, is the host directory of the release's
	// content-addressed artifact store. The Docker runner mounts it
	// read-only at ArtifactsMount, so that release.artifacts.NAME (which
	// the engine resolves to a path below ArtifactsMount for Docker steps
	// and to the host path for local steps) can be read in the container.
	// It is not a user mount: it needs no --allow-privileged. Runners that
	// run on the host ignore it.
	Artifacts string
	// Labels are added to the container (Docker) for lookup and cleanup.
	Labels map[string]string
	// User is the container's user, "UID[:GID]" or a name the image
	// knows; "" means the image's own user. Docker only. When it is a
	// numeric uid other than 0 and Env sets no HOME, the Docker runner sets
	// HOME=/tmp, so tools that write to $HOME work without a passwd entry.
	User string
	// NoWorkspace keeps the workspace out of the container: the step runs
	// in its image's WORKDIR (Workdir relative to it). Docker only.
	NoWorkspace bool
	// Caches are directories kept between runs. The Docker runner mounts
	// the named volume Volume (created on first use with Labels) at Path;
	// the local runner creates HostDir and exports PIPELINE_CACHE.
	Caches []Cache
}

// Cache is one tool cache of a step.
type Cache struct {
	// Path is the absolute path in the container ("/root/go/pkg/mod").
	Path string
	// Volume is the Docker volume that holds it.
	Volume string
	// Labels are set on the volume when the runner creates it.
	Labels map[string]string
	// HostDir is where a runner on the host keeps it.
	HostDir string
}

// Result is how a step ended.
type Result struct {
	ExitCode int
	Started  time.Time
	Finished time.Time
}

// WorkspaceMount is where the Docker runner mounts the workspace.
const WorkspaceMount = "/workspace"

// ArtifactsMount is where the Docker runner mounts Step.Artifacts,
// read-only.
const ArtifactsMount = "/pipeline/artifacts"

// Label keys set on every container the Docker runner creates.
const (
	LabelManaged = "dev.pipeline.managed" // "true"
	LabelRun     = "dev.pipeline.run"
	LabelStep    = "dev.pipeline.step"
	LabelPID     = "dev.pipeline.pid" // PID of the pipeline process that created it
	// LabelHost is the host identity of that process (see internal/hostid):
	// a PID is checked, and a container cleaned up, only by processes
	// with the same identity.
	LabelHost = "dev.pipeline.host"
)

var (
	// ErrTimeout reports that a step ran longer than its timeout and was killed.
	ErrTimeout = errors.New("step timed out")
	// ErrCanceled reports that the run was cancelled while the step ran.
	ErrCanceled = errors.New("step cancelled")
	// ErrPrivileged reports a step that asks for privileges the run did not allow.
	ErrPrivileged = errors.New("step needs --allow-privileged")
)

// Cleaner is implemented by runners that leave resources behind after a
// crash (Docker containers). Cleanup removes every resource the runner
// created for runs whose creating process is gone, or for all runs when all
// is true, and returns how many it removed.
type Cleaner interface {
	Cleanup(ctx context.Context, all bool) (int, error)
}
