package console

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/pipeline-cd/pipeline/engine/plan"
)

// Graph is the plan of a run laid out for SVG: waves left to right, the
// nodes of a wave top to bottom. Stage nodes are folded into their edges.
type Graph struct {
	Width, Height int
	Nodes         []GraphNode
	Edges         []GraphEdge
}

// GraphNode is one drawn node.
type GraphNode struct {
	ID, Label, Kind, Status string
	X, Y, W, H              int
	// Shape is "step", "gate" (a diamond marker) or "deploy".
	Title string
}

// GraphEdge is one drawn edge as an SVG path.
type GraphEdge struct {
	Path template.HTML // only numbers and letters M/C, computed here
}

const (
	nodeW   = 190
	nodeH   = 40
	colGap  = 60
	rowGap  = 16
	padding = 12
)

// layout draws the stored plan with each node's status (pending when the
// run has not reached it).
func layout(p *plan.JSON, status map[string]string) *Graph {
	kind := map[string]plan.NodeKind{}
	needs := map[string][]string{}
	for _, n := range p.Nodes {
		kind[n.ID] = n.Kind
		needs[n.ID] = n.Needs
	}
	// work returns the non-stage nodes id depends on, looking through
	// stage nodes.
	memo := map[string][]string{}
	var through func(id string) []string
	through = func(id string) []string {
		if v, ok := memo[id]; ok {
			return v
		}
		memo[id] = nil
		var out []string
		for _, n := range needs[id] {
			if kind[n] == plan.KindStage {
				out = append(out, through(n)...)
			} else {
				out = append(out, n)
			}
		}
		memo[id] = dedupe(out)
		return memo[id]
	}
	pos := map[string]*GraphNode{}
	g := &Graph{}
	col := 0
	maxRows := 0
	for _, wave := range p.Waves {
		row := 0
		for _, id := range wave {
			if kind[id] == plan.KindStage {
				continue
			}
			st := status[id]
			if st == "" {
				st = "pending"
			}
			n := GraphNode{ID: id, Label: nodeLabel(id, kind[id]), Kind: string(kind[id]), Status: st,
				X: padding + col*(nodeW+colGap), Y: padding + row*(nodeH+rowGap), W: nodeW, H: nodeH}
			n.Title = fmt.Sprintf("%s (%s): %s", id, kind[id], st)
			g.Nodes = append(g.Nodes, n)
			pos[id] = &g.Nodes[len(g.Nodes)-1]
			row++
		}
		if row > 0 {
			col++
			if row > maxRows {
				maxRows = row
			}
		}
	}
	// Pointers into g.Nodes stay valid: no append after this point.
	for i := range g.Nodes {
		pos[g.Nodes[i].ID] = &g.Nodes[i]
	}
	for _, to := range g.Nodes {
		for _, from := range through(to.ID) {
			f, ok := pos[from]
			if !ok {
				continue
			}
			x1, y1 := f.X+f.W, f.Y+f.H/2
			x2, y2 := to.X, to.Y+to.H/2
			mid := (x1 + x2) / 2
			g.Edges = append(g.Edges, GraphEdge{Path: template.HTML(fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, mid, y1, mid, y2, x2, y2))})
		}
	}
	g.Width = 2*padding + col*(nodeW+colGap) - colGap
	if col == 0 {
		g.Width = 2 * padding
	}
	g.Height = 2*padding + maxRows*(nodeH+rowGap) - rowGap
	if maxRows == 0 {
		g.Height = 2 * padding
	}
	return g
}

// nodeLabel is the short text drawn in a node, like `pipeline graph`:
// "build.webapp.compile" -> "webapp.compile"; gates and deployments keep
// their environment.
func nodeLabel(id string, k plan.NodeKind) string {
	parts := strings.Split(id, ".")
	var s string
	switch {
	case k == plan.KindGate && len(parts) >= 4:
		s = "gate " + parts[1] + "/" + strings.Join(parts[3:], ".")
	case k == plan.KindDeploy && len(parts) >= 2:
		s = "deploy " + parts[1]
	case k == plan.KindRelease:
		s = "release"
	case len(parts) > 1:
		s = strings.Join(parts[1:], ".")
	default:
		s = id
	}
	if r := []rune(s); len(r) > 22 {
		s = string(r[:21]) + "…"
	}
	return s
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
