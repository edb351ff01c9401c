// Package dag is a directed acyclic graph of named vertices with cycle
// checks, deterministic orderings (topological order, waves, critical path)
// and a bounded parallel walk.
//
// Edges point from a dependent to its dependency: Connect("b", "a") means
// b runs after a. Every ordering is deterministic: ties are broken by vertex
// name, so the same graph gives the same output on every run and machine.
// The algorithms are linear (or n log n where names are sorted) in the
// number of vertices and edges.
//
// The package uses the standard library only and knows nothing of
// pipelines.
package dag

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Vertex is a node of a Graph, identified by its name.
type Vertex interface {
	Name() string
}

// Graph is a directed acyclic graph of named vertices. The zero value is an
// empty graph ready to use. Not safe for concurrent mutation; read-only
// methods may run concurrently once mutation has stopped.
type Graph struct {
	// ids numbers the vertices in the order they were first added; the
	// slices below are indexed by that number.
	ids        map[string]int
	vertices   []Vertex
	names      []string
	deps       [][]int // in the order connected
	dependents [][]int // in the order connected
	// edges holds every dependent<<32|dependency pair, so that connecting
	// a pair twice adds it once.
	edges map[uint64]struct{}
	// cache holds the indexed snapshot, built once by the first reader
	// after the last mutation.
	cache *snapCache
}

// snapCache lets concurrent readers share one snapshot.
type snapCache struct {
	once sync.Once
	ix   *indexed
}

// New returns an empty graph. It is equivalent to new(Graph).
func New() *Graph { return &Graph{} }

func (g *Graph) init() {
	if g.ids == nil {
		g.ids = make(map[string]int)
		g.edges = make(map[uint64]struct{})
	}
	if g.cache == nil || g.cache.ix != nil {
		// Mutation is never concurrent with reads, so ix is safe to read.
		g.cache = &snapCache{}
	}
}

// Add adds v to the graph. A vertex with the same name is replaced; its
// edges are kept.
func (g *Graph) Add(v Vertex) {
	g.init()
	name := v.Name()
	if id, ok := g.ids[name]; ok {
		g.vertices[id] = v
		return
	}
	g.ids[name] = len(g.vertices)
	g.vertices = append(g.vertices, v)
	g.names = append(g.names, name)
	g.deps = append(g.deps, nil)
	g.dependents = append(g.dependents, nil)
}

// Vertex returns the vertex with the given name and whether it exists.
func (g *Graph) Vertex(name string) (Vertex, bool) {
	id, ok := g.ids[name]
	if !ok {
		return nil, false
	}
	return g.vertices[id], true
}

// Len returns the number of vertices.
func (g *Graph) Len() int { return len(g.vertices) }

// Connect records that dependent runs after dependency. Both vertices must
// have been added; connecting an unknown name is a programming error and
// panics. Connecting the same pair twice has no further effect. A vertex
// connected to itself forms a cycle.
func (g *Graph) Connect(dependent, dependency string) {
	g.init()
	var ends [2]int
	for i, n := range [...]string{dependent, dependency} {
		id, ok := g.ids[n]
		if !ok {
			panic(fmt.Sprintf("dag: Connect(%q, %q): vertex %q was not added", dependent, dependency, n))
		}
		ends[i] = id
	}
	g.connect(ends[0], ends[1])
}

func (g *Graph) connect(from, to int) {
	key := edgeKey(from, to)
	if _, dup := g.edges[key]; dup {
		return
	}
	g.edges[key] = struct{}{}
	g.deps[from] = append(g.deps[from], to)
	g.dependents[to] = append(g.dependents[to], from)
}

func edgeKey(from, to int) uint64 { return uint64(from)<<32 | uint64(uint32(to)) }

// HasEdge reports whether dependent directly depends on dependency.
func (g *Graph) HasEdge(dependent, dependency string) bool {
	from, ok := g.ids[dependent]
	if !ok {
		return false
	}
	to, ok := g.ids[dependency]
	if !ok {
		return false
	}
	_, ok = g.edges[edgeKey(from, to)]
	return ok
}

// Vertices returns every vertex, sorted by name.
func (g *Graph) Vertices() []Vertex {
	ix := g.snapshot()
	out := make([]Vertex, len(ix.ids))
	for i, id := range ix.ids {
		out[i] = g.vertices[id]
	}
	return out
}

// Names returns every vertex name, sorted.
func (g *Graph) Names() []string { return slices.Clone(g.snapshot().names) }

// Deps returns the direct dependencies of name, sorted. It returns nil for
// a vertex without dependencies or an unknown name.
func (g *Graph) Deps(name string) []string {
	ix := g.snapshot()
	i, ok := ix.lookup(name)
	if !ok {
		return nil
	}
	return ix.namesOf(ix.deps[i])
}

// Dependents returns the vertices that directly depend on name, sorted.
func (g *Graph) Dependents(name string) []string {
	ix := g.snapshot()
	i, ok := ix.lookup(name)
	if !ok {
		return nil
	}
	return ix.namesOf(ix.dependents[i])
}

// namesOf returns the names of the vertex indices vs, in the same order;
// nil when vs is empty.
func (ix *indexed) namesOf(vs []int) []string {
	if len(vs) == 0 {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = ix.names[v]
	}
	return out
}

// Subgraph returns a new graph holding the vertices for which keep returns
// true and the edges between them. Edges through dropped vertices are not
// replaced by transitive edges.
func (g *Graph) Subgraph(keep func(name string) bool) *Graph {
	sub := New()
	sub.init()
	subID := make([]int, len(g.vertices))
	for id, v := range g.vertices {
		subID[id] = -1
		if keep(g.names[id]) {
			subID[id] = len(sub.vertices)
			sub.Add(v)
		}
	}
	for from, deps := range g.deps {
		if subID[from] < 0 {
			continue
		}
		for _, to := range deps {
			if subID[to] >= 0 {
				sub.connect(subID[from], subID[to])
			}
		}
	}
	return sub
}

// String renders the graph one vertex per line, sorted by name, each
// followed by its direct dependencies indented by two spaces, sorted.
func (g *Graph) String() string {
	ix := g.snapshot()
	var b strings.Builder
	for i, n := range ix.names {
		b.WriteString(n)
		b.WriteByte('\n')
		for _, d := range ix.deps[i] {
			b.WriteString("  ")
			b.WriteString(ix.names[d])
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// indexed is a snapshot of the graph with vertices numbered in name order,
// so that comparing indices compares names.
type indexed struct {
	names      []string
	ids        []int // the graph's vertex id of each index
	rank       []int // the index of each graph vertex id
	byName     map[string]int
	deps       [][]int // sorted ascending
	dependents [][]int // sorted ascending
}

// snapshot returns the graph's indexed snapshot, shared by every reader
// until the next mutation. Callers must not modify it.
func (g *Graph) snapshot() *indexed {
	c := g.cache
	if c == nil {
		return g.index()
	}
	c.once.Do(func() { c.ix = g.index() })
	return c.ix
}

func (g *Graph) index() *indexed {
	n := len(g.vertices)
	ix := &indexed{
		names:      make([]string, n),
		ids:        make([]int, n),
		rank:       make([]int, n),
		byName:     g.ids,
		deps:       make([][]int, n),
		dependents: make([][]int, n),
	}
	for id := range ix.ids {
		ix.ids[id] = id
	}
	slices.SortFunc(ix.ids, func(a, b int) int { return strings.Compare(g.names[a], g.names[b]) })
	for i, id := range ix.ids {
		ix.rank[id] = i
		ix.names[i] = g.names[id]
	}
	for i, id := range ix.ids {
		ix.deps[i] = ix.sortedIndices(g.deps[id])
		ix.dependents[i] = ix.sortedIndices(g.dependents[id])
	}
	return ix
}

// lookup returns the index of the vertex named name.
func (ix *indexed) lookup(name string) (int, bool) {
	id, ok := ix.byName[name]
	if !ok || id >= len(ix.rank) {
		return 0, false
	}
	return ix.rank[id], true
}

func (ix *indexed) sortedIndices(ids []int) []int {
	if len(ids) == 0 {
		return nil
	}
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = ix.rank[id]
	}
	slices.Sort(out)
	return out
}
