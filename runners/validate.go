package runners

import (
	"errors"
	"fmt"
	"path/filepath"
)

// ErrInvalidStep reports a Step that no runner can run: nil, with neither
// or both of Script and Command, or with a Workdir outside the workspace.
// It is a programming error in the caller, not a failure of the step.
var ErrInvalidStep = errors.New("invalid step")

// Validate reports, wrapping ErrInvalidStep, why s cannot be run by any
// runner, or nil. A nil s is invalid. Runner-specific checks (an image for
// Docker, privileges) are left to each runner.
func (s *Step) Validate() error {
	if s == nil {
		return fmt.Errorf("%w: nil step", ErrInvalidStep)
	}
	switch {
	case s.Script == "" && len(s.Command) == 0:
		return fmt.Errorf("%w: step %q has neither a script nor a command; set run or command", ErrInvalidStep, s.ID)
	case s.Script != "" && len(s.Command) > 0:
		return fmt.Errorf("%w: step %q has both a script and a command; keep only one", ErrInvalidStep, s.ID)
	case len(s.Command) > 0 && s.Command[0] == "":
		return fmt.Errorf("%w: step %q has an empty program name in its command", ErrInvalidStep, s.ID)
	case s.Workdir != "" && !filepath.IsLocal(s.Workdir):
		return fmt.Errorf("%w: step %q has workdir %q outside the workspace; use a relative path below it", ErrInvalidStep, s.ID, s.Workdir)
	}
	return nil
}

// Argv returns the program and arguments that run s: ["sh", "-c", Script]
// for a script, Command otherwise. s must be valid.
func (s *Step) Argv() []string {
	if s.Script != "" {
		return []string{"sh", "-c", s.Script}
	}
	return s.Command
}
