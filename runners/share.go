package runners

import "context"

// LabelShared marks a container that several steps run in (a stage with
// container = "shared"); its LabelStep is the stage's address.
const LabelShared = "dev.pipeline.shared"

// Sharer is an optional capability of a Runner, discovered by type
// assertion: it can start one long-lived environment (for Docker, one
// container) in which several steps then run, instead of one environment
// per step. Runners without it run every step on its own, which is always
// correct, only slower.
type Sharer interface {
	// Share starts an environment for steps like proto: its image,
	// workspace, artifact store, mounts, privileges and labels (proto's
	// ID names the environment, usually the stage's address). The
	// environment must be closed with Shared.Close. Share does not run
	// proto's command.
	Share(ctx context.Context, proto *Step) (Shared, error)
}

// Shared is an environment started by Sharer.Share.
//
// Run runs one step inside the environment with the step's own command,
// env (secrets included), workdir and timeout, under the same contract as
// Runner.Run: on timeout or cancellation the step's processes (not the
// environment) are stopped and Run returns an error wrapping ErrTimeout or
// ErrCanceled. Steps may run side by side. A step must Fit; Run refuses
// one that does not with ErrInvalidStep.
//
// Shared is safe for concurrent use. Close stops and removes the
// environment; it waits for nothing, is safe to call more than once, and
// steps run after it fail.
type Shared interface {
	Runner
	// Fits reports whether step can run in this environment: the same
	// image, workspace, artifact store, mounts and privileges as the
	// step the environment was started for.
	Fits(step *Step) bool
	Close(ctx context.Context) error
}
