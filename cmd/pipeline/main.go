// Command pipeline is the CLI of the pipeline continuous-delivery engine.
// It parses flags, wires the logger, runner and store together, renders
// diagnostics and maps errors to exit codes; it holds no business logic.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pipeline-cd/pipeline/engine/state/backend"
)

// Exit codes, as DESIGN.md defines them.
const (
	exitOK      = 0
	exitFailed  = 1 // a step or deployment failed
	exitUsage   = 2 // bad usage or invalid config
	exitStopped = 3 // stopped at a gate (and fmt -check: a file would change)
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code. It is the only
// place that turns an error into an exit code, and it recovers from panics so
// that no Go stack trace ever reaches a user.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "Error: internal error: %v\n\nThis is a bug in pipeline; please report it with the command you ran.\n", r)
			code = exitFailed
		}
	}()
	cmd := newRootCommand(stdout, stderr)
	cmd.SetArgs(normalizeArgs(cmd, args))
	err := cmd.Execute()
	if err == nil {
		return exitOK
	}
	var silent *silentError
	if !errors.As(err, &silent) {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		if why := backend.Explain(err); why != "" {
			fmt.Fprintln(stderr, why)
		}
	}
	return exitCode(err)
}

// coder is implemented by errors that carry their own exit code.
type coder interface{ Code() int }

// exitCode maps err to a documented exit code. A Code() outside them
// comes from a library's error (SQLite's result codes have a Code()
// method too) and is never used: such failures exit 1.
func exitCode(err error) int {
	var c coder
	if errors.As(err, &c) {
		if code := c.Code(); code >= exitFailed && code <= exitStopped {
			return code
		}
		return exitFailed
	}
	var u *usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	return exitFailed
}

// usageError reports bad usage: unknown flags, missing arguments.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
func (e *usageError) Code() int     { return exitUsage }

// silentError carries an exit code for a failure whose message was already
// printed (diagnostics, a failed run's summary).
type silentError struct{ code int }

func (e *silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
func (e *silentError) Code() int     { return e.code }

func exitWith(code int) error { return &silentError{code: code} }
