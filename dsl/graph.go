package dsl

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// graph is a small directed graph over dense int vertices, used to find
// cycles among stages, steps, environments and locals in linear time.
type graph struct {
	edges [][]edge
}

// edge points at the vertex to, and remembers the range of the reference
// that created it (nil for implicit edges).
type edge struct {
	to    int
	where *hcl.Range
}

func newGraph(n int) *graph { return &graph{edges: make([][]edge, n)} }

// addVertex adds a vertex and returns its index.
func (g *graph) addVertex() int {
	g.edges = append(g.edges, nil)
	return len(g.edges) - 1
}

func (g *graph) connect(from, to int, where *hcl.Range) {
	g.edges[from] = append(g.edges[from], edge{to: to, where: where})
}

// sccs returns the strongly connected components with Tarjan's algorithm,
// iteratively so that deep graphs cannot exhaust the stack. Components come
// out dependencies first: when u -> v crosses components, v's comes first.
func (g *graph) sccs() [][]int {
	n := len(g.edges)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	type frame struct{ v, ei int }
	for root := 0; root < n; root++ {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{v: root}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.ei < len(g.edges[f.v]) {
				w := g.edges[f.v][f.ei].to
				f.ei++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{v: w})
				} else if onStack[w] && index[w] < low[f.v] {
					low[f.v] = index[w]
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
			if low[v] == index[v] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				out = append(out, comp)
			}
		}
	}
	return out
}

// cycle is one cycle of a graph: its edges in order, the last leading back
// to the first vertex, and the other vertices of the same strongly
// connected component that this shortest cycle does not pass through.
type cycle struct {
	edges  []pathEdge
	others []int
}

// cycles returns one cycle per strongly connected component that contains
// one. Each cycle starts at the component's lowest vertex among those for
// which real(v) is true; others lists the component's remaining real
// vertices, sorted. The cycles are ordered by their start vertex.
func (g *graph) cycles(real func(int) bool) []cycle {
	var out []cycle
	for _, comp := range g.sccs() {
		if len(comp) == 1 && !g.hasEdge(comp[0], comp[0]) {
			continue
		}
		in := make(map[int]bool, len(comp))
		start := -1
		for _, v := range comp {
			in[v] = true
			if real(v) && (start < 0 || v < start) {
				start = v
			}
		}
		if start < 0 {
			continue
		}
		c := cycle{edges: g.shortestCycle(start, in)}
		onPath := make(map[int]bool, len(c.edges))
		for _, e := range c.edges {
			onPath[e.from] = true
		}
		for _, v := range comp {
			if real(v) && !onPath[v] {
				c.others = append(c.others, v)
			}
		}
		sort.Ints(c.others)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].edges[0].from < out[j].edges[0].from })
	return out
}

// alsoIn returns a sentence naming the other members of a cycle's
// component, or "" when there are none.
func alsoIn(c cycle, name func(int) string) string {
	if len(c.others) == 0 {
		return ""
	}
	names := make([]string, len(c.others))
	for i, v := range c.others {
		names[i] = name(v)
	}
	verb := " are"
	if len(names) == 1 {
		verb = " is"
	}
	return " " + strings.Join(names, ", ") + verb + " caught in the same cycle."
}

// pathEdge is one edge of a cycle.
type pathEdge struct {
	from, to int
	where    *hcl.Range
}

func (g *graph) hasEdge(from, to int) bool {
	for _, e := range g.edges[from] {
		if e.to == to {
			return true
		}
	}
	return false
}

// shortestCycle finds, by breadth-first search inside one component, the
// shortest path from start back to start.
func (g *graph) shortestCycle(start int, in map[int]bool) []pathEdge {
	type via struct {
		prev int
		e    edge
	}
	seen := map[int]via{start: {prev: -1}}
	queue := []int{start}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, e := range g.edges[u] {
			if e.to == start {
				path := []pathEdge{{from: u, to: start, where: e.where}}
				for v := u; v != start; {
					p := seen[v]
					path = append(path, pathEdge{from: p.prev, to: v, where: p.e.where})
					v = p.prev
				}
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return path
			}
			if _, ok := seen[e.to]; ok || !in[e.to] {
				continue
			}
			seen[e.to] = via{prev: u, e: e}
			queue = append(queue, e.to)
		}
	}
	return nil
}
