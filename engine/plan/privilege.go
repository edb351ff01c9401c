package plan

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/runners"
)

// PrivilegedStep is a planned step that asks for more of the host than a
// run gives by default.
type PrivilegedStep struct {
	// ID is the step's node ID ("build.tools.docker").
	ID string
	// Asks lists what the step asks for, in the order of the step's
	// attributes: "privileged mode", "host bind mount HOST:CONTAINER",
	// "the Docker socket (mount HOST:CONTAINER)".
	Asks []string
	// Range is the step block's declaration.
	Range hcl.Range
}

// PrivilegeError is what New returns when planned steps ask for privileged
// mode, host bind mounts or the Docker socket and Options.AllowPrivileged
// is false. It lists every such step, sorted by ID, and matches
// runners.ErrPrivileged with errors.Is, the error the runners refuse such
// steps with at run time.
type PrivilegeError struct {
	Steps []PrivilegedStep
}

// Error names every step, where it is declared (file:line:col) and what it
// asks for, then the fix.
func (e *PrivilegeError) Error() string {
	var b strings.Builder
	if len(e.Steps) == 1 {
		b.WriteString("a step asks for host privileges, which runs refuse by default:\n")
	} else {
		fmt.Fprintf(&b, "%d steps ask for host privileges, which runs refuse by default:\n", len(e.Steps))
	}
	for _, s := range e.Steps {
		fmt.Fprintf(&b, "  %s (%s:%d:%d) asks for %s\n", s.ID, s.Range.Filename, s.Range.Start.Line, s.Range.Start.Column,
			strings.Join(s.Asks, ", "))
	}
	it := "it"
	if len(e.Steps) > 1 {
		it = "them"
	}
	b.WriteString("Containers run unprivileged with only the workspace mounted. Remove " + it + ", or run with --allow-privileged if you trust this config.")
	return b.String()
}

// Unwrap returns runners.ErrPrivileged.
func (e *PrivilegeError) Unwrap() error { return runners.ErrPrivileged }

// dockerSockets are the host paths of the Docker engine's socket, as the
// Docker runner knows them; mounting one hands the step the host.
var dockerSockets = []string{"/var/run/docker.sock", "/run/docker.sock"}

func isDockerSocket(p string) bool {
	p = filepath.Clean(p)
	for _, s := range dockerSockets {
		if p == s {
			return true
		}
	}
	return filepath.Base(p) == "docker.sock"
}

// checkPrivileges returns a *PrivilegeError listing every step of p that
// asks for privileged mode or host mounts, or nil when none does.
func (p *Plan) checkPrivileges() error {
	var steps []PrivilegedStep
	for _, n := range p.Nodes {
		if n.Kind != KindStep {
			continue
		}
		var asks []string
		if n.Step.Privileged {
			asks = append(asks, "privileged mode")
		}
		for _, m := range n.Step.Mounts {
			host, _, _ := strings.Cut(m, ":")
			if isDockerSocket(host) {
				asks = append(asks, "the Docker socket (mount "+m+")")
			} else {
				asks = append(asks, "host bind mount "+m)
			}
		}
		if len(asks) == 0 {
			continue
		}
		ps := PrivilegedStep{ID: n.ID, Asks: asks}
		if n.Step.Def != nil {
			ps.Range = n.Step.Def.DeclRange
		}
		steps = append(steps, ps)
	}
	if len(steps) == 0 {
		return nil
	}
	return &PrivilegeError{Steps: steps}
}
