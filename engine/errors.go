package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/engine/history"
)

// Exit codes carried by the engine's errors (Code()).
const (
	CodeFailed  = 1
	CodeInvalid = 2
	CodeWaiting = 3
)

var (
	// ErrRunFailed reports a run whose step or deployment failed.
	ErrRunFailed = errors.New("run failed")
	// ErrGateWaiting reports a run stopped at a gate.
	ErrGateWaiting = errors.New("waiting for approval")
	// ErrNoRollbackTarget reports an environment without an earlier
	// successful release to roll back to.
	ErrNoRollbackTarget = history.ErrNoRollbackTarget
	// ErrAlreadyLive reports a rollback to the release that is live.
	ErrAlreadyLive = errors.New("nothing to roll back")
	// ErrNotResumable reports a run that cannot be resumed (finished,
	// rejected, or still running in a live process).
	ErrNotResumable = errors.New("run cannot be resumed")
	// ErrGateNotWaiting reports a decision on a gate that is not waiting.
	ErrGateNotWaiting = errors.New("gate is not waiting")
	// ErrGateExpired reports a decision on, or a resume of a run waiting
	// at, a gate whose timeout has passed; the run cannot go on: start a
	// new one. It comes with ErrGateNotWaiting (approve, reject) or
	// ErrNotResumable (resume).
	ErrGateExpired = errors.New("gate expired")
	// ErrRunCancelled reports a decision on, or a resume of, a run that was
	// cancelled: its gates are closed; start a new run. It comes with
	// ErrGateNotWaiting (approve, reject) or ErrNotResumable (resume).
	ErrRunCancelled = errors.New("run was cancelled")
	// ErrAmbiguousGate reports a decision naming a gate by a bare name
	// that the run has in more than one environment; name it ENV/GATE.
	ErrAmbiguousGate = errors.New("ambiguous gate name")
	// ErrLockHeld reports an environment lock held by another live run.
	ErrLockHeld = errors.New("environment is locked by another deployment")
	// ErrNeverDeployed reports a rollback to a release whose deployment to
	// the environment never succeeded; promote it with Deploy instead.
	ErrNeverDeployed = errors.New("release was never deployed to this environment")
	// ErrNoRelease reports a deploy of a release that does not exist.
	ErrNoRelease = errors.New("release not found")
	// ErrUnknownEnvironment reports an environment the config does not define.
	ErrUnknownEnvironment = errors.New("unknown environment")
	// ErrReleaseExists reports a second release with the same version.
	ErrReleaseExists = errors.New("release version already exists")
	// ErrDirtyTree reports a working tree with modified tracked files: a
	// run from it creates no release and deploys nowhere unless it allows
	// a dirty tree, and a resume refuses it (with ErrNotResumable).
	ErrDirtyTree = errors.New("working tree has modified tracked files")
	// ErrWrongCommit reports a resume from a checkout whose HEAD is not the
	// commit the run was started from (with ErrNotResumable).
	ErrWrongCommit = errors.New("checkout is not the run's commit")
)

// Error is an engine error with an exit code. It wraps the cause, so
// errors.Is works with the sentinels above and those of state and rules.
type Error struct {
	code int
	err  error
}

func (e *Error) Error() string { return e.err.Error() }
func (e *Error) Unwrap() error { return e.err }

// Code returns the process exit code for the error.
func (e *Error) Code() int { return e.code }

func failed(err error) error  { return &Error{code: CodeFailed, err: err} }
func invalid(err error) error { return &Error{code: CodeInvalid, err: err} }

// refusal is an error with its own message that matches the sentinels in
// is, for refusals whose message reads better without a sentinel prefix.
type refusal struct {
	msg string
	is  []error
}

func (r *refusal) Error() string { return r.msg }

// Is reports whether target is one of r's sentinels.
func (r *refusal) Is(target error) bool { return slices.Contains(r.is, target) }

// GateWait describes a gate a run is waiting at.
type GateWait struct {
	RunID       string
	Environment string
	// Gate is the gate's name as declared ("go-live").
	Gate string
	// Ref is the GATE argument of `pipeline approve RUN GATE` that names
	// this gate: its name, or "ENV/GATE" when the run has a gate of that
	// name in more than one environment. Empty means Gate.
	Ref       string
	Approvers []string
	ExpiresAt string
}

// Arg returns the GATE argument that names the gate: Ref, else Gate.
func (g GateWait) Arg() string {
	if g.Ref != "" {
		return g.Ref
	}
	return g.Gate
}

// Command returns the exact command that approves the gate.
func (g GateWait) Command() string {
	return fmt.Sprintf("pipeline approve %s %s", g.RunID, g.Arg())
}

// WaitingError reports a run stopped at one or more gates; Code() is 3.
type WaitingError struct {
	RunID string
	Gates []GateWait
}

func (e *WaitingError) Error() string {
	var cmds []string
	for _, g := range e.Gates {
		cmds = append(cmds, g.Command())
	}
	return fmt.Sprintf("run %s is waiting for approval; approve with: %s, then: pipeline resume %s",
		e.RunID, strings.Join(cmds, "; "), e.RunID)
}

// Code returns 3.
func (e *WaitingError) Code() int { return CodeWaiting }

// Unwrap returns ErrGateWaiting.
func (e *WaitingError) Unwrap() error { return ErrGateWaiting }

// ConfigError carries error diagnostics from loading a config (a resume
// at the recorded commit, the trusted ref); Files lets the CLI render
// them with source snippets. Code() is 2.
type ConfigError struct {
	Diags hcl.Diagnostics
	Files map[string]*hcl.File
}

func (e *ConfigError) Error() string { return e.Diags.Error() }

// Code returns 2.
func (e *ConfigError) Code() int { return CodeInvalid }
