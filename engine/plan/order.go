package plan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/engine/dag"
)

// weight is a node's share of a chain: stage nodes do no work.
func (p *Plan) weight(id string) float64 {
	if p.byID[id].Kind == KindStage {
		return 0
	}
	return 1
}

// order fills Nodes, neighbours, depths, waves and the critical path, or
// reports the cycles that make the graph impossible to order.
func (p *Plan) order() error {
	topo, err := p.Graph.TopoOrder()
	if err != nil {
		var ce *dag.CycleError
		if !errors.As(err, &ce) {
			return err
		}
		return p.cycleDiagnostics(ce)
	}
	for _, id := range p.Graph.Names() {
		n := p.byID[id]
		n.Needs = p.Graph.Deps(id)
		n.Dependents = p.Graph.Dependents(id)
		if n.Needs == nil {
			n.Needs = []string{}
		}
		if n.Dependents == nil {
			n.Dependents = []string{}
		}
		p.Nodes = append(p.Nodes, n)
	}
	for _, id := range topo {
		n := p.byID[id]
		for _, d := range n.Needs {
			n.Depth = max(n.Depth, p.byID[d].Depth+int(p.weight(d)))
		}
	}
	p.Waves = [][]string{}
	for _, n := range p.Nodes { // sorted by ID, so each wave is sorted
		if n.Kind == KindStage {
			continue
		}
		for len(p.Waves) <= n.Depth {
			p.Waves = append(p.Waves, []string{})
		}
		p.Waves[n.Depth] = append(p.Waves[n.Depth], n.ID)
	}
	p.CriticalPath = []string{}
	for _, id := range p.Graph.CriticalPath(p.weight) {
		if p.byID[id].Kind != KindStage {
			p.CriticalPath = append(p.CriticalPath, id)
		}
	}
	return nil
}

// cycleDiagnostics turns dependency cycles into one diagnostic each. The
// dsl package reports cycles when loading, so this only fires for configs
// built by hand.
func (p *Plan) cycleDiagnostics(ce *dag.CycleError) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, c := range ce.Cycles {
		n := p.byID[c[0]]
		var subject *hcl.Range
		if n.StageDef != nil {
			subject = n.StageDef.DeclRange.Ptr()
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Dependency Cycle",
			Detail: fmt.Sprintf("The plan cannot be ordered because these nodes wait for each other: %s -> %s. Remove one of the needs or requires that close the cycle.",
				strings.Join(c, " -> "), c[0]),
			Subject: subject,
		})
	}
	return diags
}
