package dag

import (
	"container/heap"
	"errors"
	"fmt"
	"strings"
)

// ErrCycle is matched (errors.Is) by every *CycleError.
var ErrCycle = errors.New("dependency cycle")

// CycleError reports the cycles that make a graph impossible to order.
type CycleError struct {
	// Cycles is the result of Graph.Cycles: one cycle per strongly
	// connected component, each starting at its smallest name.
	Cycles [][]string
}

// Error lists every cycle as "a -> b -> a".
func (e *CycleError) Error() string {
	parts := make([]string, len(e.Cycles))
	for i, c := range e.Cycles {
		parts[i] = strings.Join(append(append([]string(nil), c...), c[0]), " -> ")
	}
	return fmt.Sprintf("%s: %s", ErrCycle, strings.Join(parts, "; "))
}

// Unwrap returns ErrCycle.
func (e *CycleError) Unwrap() error { return ErrCycle }

// intHeap is a min-heap of vertex indices (smaller index = smaller name).
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// kahn returns the vertices reachable in topological order (dependencies
// first, ties by smallest name). Vertices on or behind a cycle are missing.
func (ix *indexed) kahn() []int {
	n := len(ix.names)
	pending := make([]int, n)
	h := make(intHeap, 0, n)
	for i := range n {
		pending[i] = len(ix.deps[i])
		if pending[i] == 0 {
			h = append(h, i)
		}
	}
	heap.Init(&h)
	order := make([]int, 0, n)
	for h.Len() > 0 {
		v := heap.Pop(&h).(int)
		order = append(order, v)
		for _, d := range ix.dependents[v] {
			pending[d]--
			if pending[d] == 0 {
				heap.Push(&h, d)
			}
		}
	}
	return order
}

// TopoOrder returns every vertex name with each vertex after all of its
// dependencies. Among vertices that are ready at the same time the smallest
// name comes first, so the order is deterministic. On a cycle it returns
// nil and a *CycleError.
func (g *Graph) TopoOrder() ([]string, error) {
	ix := g.snapshot()
	order := ix.kahn()
	if len(order) != len(ix.names) {
		return nil, &CycleError{Cycles: ix.cycles()}
	}
	out := make([]string, len(order))
	for i, v := range order {
		out[i] = ix.names[v]
	}
	return out, nil
}

// Validate returns a *CycleError when the graph has a cycle, otherwise nil.
func (g *Graph) Validate() error {
	if c := g.Cycles(); len(c) > 0 {
		return &CycleError{Cycles: c}
	}
	return nil
}

// Cycles returns one cycle for each strongly connected component that has
// one (a vertex connected to itself counts). Each cycle is the shortest
// cycle through the component's smallest name, starting with that name and
// listing members in dependency order: [a b c] means a depends on b, b on
// c and c on a. Cycles are sorted by their first member. An acyclic graph
// gives nil.
func (g *Graph) Cycles() [][]string { return g.snapshot().cycles() }

func (ix *indexed) cycles() [][]string {
	comp := ix.components()
	var out [][]string
	seen := make(map[int]bool)
	// Vertices are visited in name order, so the first vertex met of each
	// component is its smallest.
	for v := range ix.names {
		c := comp[v]
		if seen[c] {
			continue
		}
		seen[c] = true
		if cyc := ix.shortestCycle(v, comp); cyc != nil {
			out = append(out, cyc)
		}
	}
	return out
}

// shortestCycle runs a breadth-first search from start inside its component
// and returns the names of the shortest cycle back to start, or nil.
func (ix *indexed) shortestCycle(start int, comp []int) []string {
	parent := map[int]int{start: -1}
	queue := []int{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, d := range ix.deps[v] {
			if d == start {
				var path []string
				for x := v; x != -1; x = parent[x] {
					path = append(path, ix.names[x])
				}
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return path
			}
			if _, ok := parent[d]; ok || comp[d] != comp[start] {
				continue
			}
			parent[d] = v
			queue = append(queue, d)
		}
	}
	return nil
}

// components numbers the strongly connected components (Tarjan's
// algorithm, iterative so that deep chains do not grow the stack).
func (ix *indexed) components() []int {
	n := len(ix.names)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	comp := make([]int, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	type frame struct{ v, next int }
	next, ncomp := 0, 0
	for root := range n {
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
			v := f.v
			if f.next < len(ix.deps[v]) {
				w := ix.deps[v][f.next]
				f.next++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{v: w})
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = ncomp
					if w == v {
						break
					}
				}
				ncomp++
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
		}
	}
	return comp
}

// Depths returns, for every vertex, the length of the longest chain of
// dependencies below it: vertices without dependencies have depth 0, and a
// vertex is one deeper than its deepest dependency. Vertices on or behind a
// cycle are absent from the result.
func (g *Graph) Depths() map[string]int {
	ix := g.snapshot()
	depth := ix.depths(ix.kahn())
	out := make(map[string]int, len(depth))
	for v, d := range depth {
		out[ix.names[v]] = d
	}
	return out
}

func (ix *indexed) depths(order []int) map[int]int {
	depth := make(map[int]int, len(order))
	for _, v := range order {
		d := 0
		for _, dep := range ix.deps[v] {
			if depth[dep]+1 > d {
				d = depth[dep] + 1
			}
		}
		depth[v] = d
	}
	return depth
}

// Waves groups the vertices by depth: wave i holds the vertices of depth i,
// sorted by name. Every vertex of a wave can run in parallel once the
// previous waves are done, and each vertex sits in the earliest wave its
// dependencies allow. Vertices on or behind a cycle are left out.
func (g *Graph) Waves() [][]string {
	ix := g.snapshot()
	order := ix.kahn()
	depth := ix.depths(order)
	var waves [][]string
	// Walking names in index order keeps each wave sorted.
	for v, name := range ix.names {
		d, ok := depth[v]
		if !ok {
			continue
		}
		for len(waves) <= d {
			waves = append(waves, nil)
		}
		waves[d] = append(waves[d], name)
	}
	return waves
}

// CriticalPath returns the heaviest chain of the graph, from a vertex
// without dependencies to the vertex that ends it: the chain whose summed
// weight is largest. A nil weight counts every vertex as 1. Ties go to the
// chain ending at, and passing through, the smallest names. An empty graph
// gives nil; vertices on or behind a cycle are ignored.
func (g *Graph) CriticalPath(weight func(name string) float64) []string {
	if weight == nil {
		weight = func(string) float64 { return 1 }
	}
	ix := g.snapshot()
	order := ix.kahn()
	total := make([]float64, len(ix.names))
	via := make([]int, len(ix.names))
	best := -1
	for _, v := range order {
		via[v] = -1
		for _, d := range ix.deps[v] { // ascending names: first maximum wins
			if via[v] == -1 || total[d] > total[via[v]] {
				via[v] = d
			}
		}
		total[v] = weight(ix.names[v])
		if via[v] >= 0 {
			total[v] += total[via[v]]
		}
		if best == -1 || total[v] > total[best] || (total[v] == total[best] && v < best) {
			best = v
		}
	}
	if best == -1 {
		return nil
	}
	var path []string
	for v := best; v != -1; v = via[v] {
		path = append(path, ix.names[v])
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}
