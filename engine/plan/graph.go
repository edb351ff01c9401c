package plan

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// clusters groups node IDs by stage address, in the order stages first
// appear among the sorted nodes; nodes without a stage (the release) come
// back in loose.
func (p *Plan) clusters() (order []string, members map[string][]*Node, loose []*Node) {
	members = make(map[string][]*Node)
	for _, n := range p.Nodes {
		if n.Stage == "" {
			loose = append(loose, n)
			continue
		}
		if _, ok := members[n.Stage]; !ok {
			order = append(order, n.Stage)
		}
		members[n.Stage] = append(members[n.Stage], n)
	}
	return order, members, loose
}

// label is the short text drawn for a node inside its stage's box.
func label(n *Node) string {
	switch n.Kind {
	case KindStep:
		if n.Step.Shared {
			return n.Step.Name + " (shared)"
		}
		return n.Step.Name
	case KindGate:
		return "gate " + n.Gate.Name
	case KindDeploy:
		return "deploy " + n.Env.Name
	case KindStage:
		return "done"
	}
	return "release"
}

// WriteDOT writes the plan as a Graphviz digraph. Edges point from a node
// to the nodes that wait for it; each stage is a cluster; gates are amber
// octagons, deployments blue houses, the release a cylinder and stage ends
// small points. The output is sorted and byte-identical for the same plan.
func (p *Plan) WriteDOT(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "digraph %s {\n", dotQuote(p.Pipeline))
	bw.WriteString("  rankdir=LR;\n")
	bw.WriteString("  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n")
	order, members, loose := p.clusters()
	for i, stage := range order {
		fmt.Fprintf(bw, "  subgraph cluster_%d {\n", i)
		fmt.Fprintf(bw, "    label=%s;\n", dotQuote(stage))
		for _, n := range members[stage] {
			fmt.Fprintf(bw, "    %s [%s];\n", dotQuote(n.ID), dotAttrs(n))
		}
		bw.WriteString("  }\n")
	}
	for _, n := range loose {
		fmt.Fprintf(bw, "  %s [%s];\n", dotQuote(n.ID), dotAttrs(n))
	}
	for _, n := range p.Nodes {
		for _, d := range n.Needs {
			fmt.Fprintf(bw, "  %s -> %s;\n", dotQuote(d), dotQuote(n.ID))
		}
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

func dotAttrs(n *Node) string {
	l := "label=" + dotQuote(label(n))
	switch n.Kind {
	case KindGate:
		return l + `, shape=octagon, style=filled, fillcolor="#fde68a"`
	case KindDeploy:
		return l + `, shape=house, style=filled, fillcolor="#bfdbfe"`
	case KindRelease:
		return l + `, shape=cylinder, style=filled, fillcolor="#bbf7d0"`
	case KindStage:
		return `label="", shape=point, width=0.12`
	}
	return l
}

// dotQuote returns s as a DOT double-quoted string.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// WriteMermaid writes the plan as a Mermaid flowchart, which GitHub and
// GitLab render inline in Markdown. Each stage is a subgraph; gates are
// hexagons, deployments trapezoids, the release a cylinder and stage ends
// small circles, each with its own class. The output is sorted and
// byte-identical for the same plan.
func (p *Plan) WriteMermaid(w io.Writer) error {
	bw := bufio.NewWriter(w)
	ids := make(map[string]string, len(p.Nodes))
	for i, n := range p.Nodes {
		ids[n.ID] = fmt.Sprintf("n%d", i)
	}
	bw.WriteString("flowchart LR\n")
	order, members, loose := p.clusters()
	for i, stage := range order {
		fmt.Fprintf(bw, "  subgraph s%d[%s]\n", i, mermaidQuote(stage))
		for _, n := range members[stage] {
			fmt.Fprintf(bw, "    %s\n", mermaidNode(ids[n.ID], n))
		}
		bw.WriteString("  end\n")
	}
	for _, n := range loose {
		fmt.Fprintf(bw, "  %s\n", mermaidNode(ids[n.ID], n))
	}
	for _, n := range p.Nodes {
		for _, d := range n.Needs {
			fmt.Fprintf(bw, "  %s --> %s\n", ids[d], ids[n.ID])
		}
	}
	bw.WriteString("  classDef gate fill:#fde68a,stroke:#b45309\n")
	bw.WriteString("  classDef deploy fill:#bfdbfe,stroke:#1d4ed8\n")
	bw.WriteString("  classDef release fill:#bbf7d0,stroke:#15803d\n")
	bw.WriteString("  classDef stage fill:#e5e7eb,stroke:#6b7280\n")
	for _, kind := range []NodeKind{KindGate, KindDeploy, KindRelease, KindStage} {
		var of []string
		for _, n := range p.Nodes {
			if n.Kind == kind {
				of = append(of, ids[n.ID])
			}
		}
		if len(of) > 0 {
			fmt.Fprintf(bw, "  class %s %s\n", strings.Join(of, ","), kind)
		}
	}
	return bw.Flush()
}

func mermaidNode(id string, n *Node) string {
	l := mermaidQuote(label(n))
	switch n.Kind {
	case KindGate:
		return id + "{{" + l + "}}"
	case KindDeploy:
		return id + "[/" + l + `\]`
	case KindRelease:
		return id + "[(" + l + ")]"
	case KindStage:
		return id + "((" + l + "))"
	}
	return id + "[" + l + "]"
}

// mermaidQuote returns s as a Mermaid quoted label, with the characters
// Mermaid would read as syntax written as entity codes.
func mermaidQuote(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "\n", " ")
	return `"` + r.Replace(s) + `"`
}
