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
	"sort"
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
	vertices   map[string]Vertex
	deps       map[string]map[string]struct{}
	dependents map[string]map[string]struct{}
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
	if g.vertices == nil {
		g.vertices = make(map[string]Vertex)
		g.deps = make(map[string]map[string]struct{})
		g.dependents = make(map[string]map[string]struct{})
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
	g.vertices[v.Name()] = v
}

// Vertex returns the vertex with the given name and whether it exists.
func (g *Graph) Vertex(name string) (Vertex, bool) {
	v, ok := g.vertices[name]
	return v, ok
}

// Len returns the number of vertices.
func (g *Graph) Len() int { return len(g.vertices) }

// Connect records that dependent runs after dependency. Both vertices must
// have been added; connecting an unknown name is a programming error and
// panics. Connecting the same pair twice has no further effect. A vertex
// connected to itself forms a cycle.
func (g *Graph) Connect(dependent, dependency string) {
	g.init()
	for _, n := range [...]string{dependent, dependency} {
		if _, ok := g.vertices[n]; !ok {
			panic(fmt.Sprintf("dag: Connect(%q, %q): vertex %q was not added", dependent, dependency, n))
		}
	}
	addEdge(g.deps, dependent, dependency)
	addEdge(g.dependents, dependency, dependent)
}

func addEdge(m map[string]map[string]struct{}, from, to string) {
	set := m[from]
	if set == nil {
		set = make(map[string]struct{})
		m[from] = set
	}
	set[to] = struct{}{}
}

// HasEdge reports whether dependent directly depends on dependency.
func (g *Graph) HasEdge(dependent, dependency string) bool {
	_, ok := g.deps[dependent][dependency]
	return ok
}

// Vertices returns every vertex, sorted by name.
func (g *Graph) Vertices() []Vertex {
	names := g.names()
	out := make([]Vertex, len(names))
	for i, n := range names {
		out[i] = g.vertices[n]
	}
	return out
}

// Names returns every vertex name, sorted.
func (g *Graph) Names() []string { return slices.Clone(g.snapshot().names) }

func (g *Graph) names() []string {
	names := make([]string, 0, len(g.vertices))
	for n := range g.vertices {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Deps returns the direct dependencies of name, sorted. It returns nil for
// a vertex without dependencies or an unknown name.
func (g *Graph) Deps(name string) []string {
	ix := g.snapshot()
	i, ok := ix.index[name]
	if !ok {
		return nil
	}
	return ix.namesOf(ix.deps[i])
}

// Dependents returns the vertices that directly depend on name, sorted.
func (g *Graph) Dependents(name string) []string {
	ix := g.snapshot()
	i, ok := ix.index[name]
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
	for n, v := range g.vertices {
		if keep(n) {
			sub.vertices[n] = v
		}
	}
	for from, set := range g.deps {
		if _, ok := sub.vertices[from]; !ok {
			continue
		}
		for to := range set {
			if _, ok := sub.vertices[to]; ok {
				addEdge(sub.deps, from, to)
				addEdge(sub.dependents, to, from)
			}
		}
	}
	return sub
}

// String renders the graph one vertex per line, sorted by name, each
// followed by its direct dependencies indented by two spaces, sorted.
func (g *Graph) String() string {
	var b strings.Builder
	for _, n := range g.names() {
		b.WriteString(n)
		b.WriteByte('\n')
		for _, d := range g.Deps(n) {
			b.WriteString("  ")
			b.WriteString(d)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// indexed is a snapshot of the graph with vertices numbered in name order,
// so that comparing indices compares names.
type indexed struct {
	names      []string
	index      map[string]int
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
	names := g.names()
	ix := &indexed{
		names:      names,
		index:      make(map[string]int, len(names)),
		deps:       make([][]int, len(names)),
		dependents: make([][]int, len(names)),
	}
	for i, n := range names {
		ix.index[n] = i
	}
	for i, n := range names {
		ix.deps[i] = ix.sortedIndices(g.deps[n])
		ix.dependents[i] = ix.sortedIndices(g.dependents[n])
	}
	return ix
}

func (ix *indexed) sortedIndices(set map[string]struct{}) []int {
	if len(set) == 0 {
		return nil
	}
	out := make([]int, 0, len(set))
	for n := range set {
		out = append(out, ix.index[n])
	}
	sort.Ints(out)
	return out
}
