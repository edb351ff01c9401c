package plan

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/runners"
)

// HostStep is a planned step whose config asks to run on the host
// (runner = "local") without the operator's leave.
type HostStep struct {
	// ID is the step's node ID ("build.tools.lint").
	ID string
	// Range is the step block's declaration.
	Range hcl.Range
}

// HostError is what New returns when planned steps say runner = "local"
// and neither Options.AllowHost nor Options.TrustedHost allows them: a
// config comes from the commit being run, and only the operator (with
// --allow-host or --runner local) or the trusted ref's config may put a
// step on the host. It lists every such step, sorted by ID, and matches
// runners.ErrHost with errors.Is.
type HostError struct {
	Steps []HostStep
}

// Error names every step, where it is declared (file:line:col), then the
// fix.
func (e *HostError) Error() string {
	var b strings.Builder
	if len(e.Steps) == 1 {
		b.WriteString("a step asks to run on the host (runner = \"local\"), which runs refuse by default:\n")
	} else {
		fmt.Fprintf(&b, "%d steps ask to run on the host (runner = \"local\"), which runs refuse by default:\n", len(e.Steps))
	}
	for _, s := range e.Steps {
		fmt.Fprintf(&b, "  %s (%s:%d:%d)\n", s.ID, s.Range.Filename, s.Range.Start.Line, s.Range.Start.Column)
	}
	b.WriteString("A host process can read every file and secret of the machine, so the config of the commit being run cannot choose it. " +
		"Remove runner = \"local\" to run the step in a container, or run with --allow-host if you trust this config " +
		"(a step that the trusted ref's config already runs with runner = \"local\" needs no flag).")
	return b.String()
}

// Unwrap returns runners.ErrHost.
func (e *HostError) Unwrap() error { return runners.ErrHost }

// checkHost returns a *HostError listing every step of p that says
// runner = "local" and is not allowed by opts, or nil.
func (p *Plan) checkHost(opts Options) error {
	if opts.AllowHost {
		return nil
	}
	var steps []HostStep
	for _, n := range p.Nodes {
		if n.Kind != KindStep || n.Step.Runner != "local" || opts.TrustedHost[n.ID] {
			continue
		}
		hs := HostStep{ID: n.ID}
		if n.Step.Def != nil {
			hs.Range = n.Step.Def.DeclRange
		}
		steps = append(steps, hs)
	}
	if len(steps) == 0 {
		return nil
	}
	return &HostError{Steps: steps}
}

// HostSteps returns the node IDs of the steps of cfg that say runner =
// "local", for Options.TrustedHost when cfg is the trusted ref's config.
func HostSteps(cfg *dsl.Config) map[string]bool {
	out := map[string]bool{}
	if cfg == nil {
		return out
	}
	for _, s := range cfg.Stages {
		for _, st := range s.Steps {
			if st.Runner == "local" {
				out[s.Address()+"."+st.Name] = true
			}
		}
	}
	return out
}
