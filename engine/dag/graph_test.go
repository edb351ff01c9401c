package dag

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

type node string

func (n node) Name() string { return string(n) }

// build makes a graph from "a>b" edges (a depends on b) and lone names.
func build(t testing.TB, specs ...string) *Graph {
	t.Helper()
	g := New()
	for _, s := range specs {
		for _, n := range strings.Split(s, ">") {
			if _, ok := g.Vertex(n); !ok {
				g.Add(node(n))
			}
		}
	}
	for _, s := range specs {
		if from, to, ok := strings.Cut(s, ">"); ok {
			g.Connect(from, to)
		}
	}
	return g
}

func TestTopoOrder(t *testing.T) {
	tests := []struct {
		name  string
		edges []string
		want  []string
	}{
		{"empty", nil, []string{}},
		{"single", []string{"a"}, []string{"a"}},
		{"ties by name", []string{"c", "b", "a"}, []string{"a", "b", "c"}},
		{"chain", []string{"a>b", "b>c"}, []string{"c", "b", "a"}},
		{"diamond", []string{"d>b", "d>c", "b>a", "c>a"}, []string{"a", "b", "c", "d"}},
		{"ready order", []string{"a>z", "b"}, []string{"b", "z", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := build(t, tt.edges...).TopoOrder()
			if err != nil {
				t.Fatalf("TopoOrder(%q) error: %v", tt.edges, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("TopoOrder(%q) mismatch (-want +got):\n%s", tt.edges, diff)
			}
		})
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name  string
		edges []string
		want  [][]string
	}{
		{"acyclic", []string{"a>b", "b>c"}, nil},
		{"self loop", []string{"a>a", "b>a"}, [][]string{{"a"}}},
		{"pair", []string{"a>b", "b>a"}, [][]string{{"a", "b"}}},
		{"triangle from smallest", []string{"c>a", "a>b", "b>c"}, [][]string{{"a", "b", "c"}}},
		{"shortest in component", []string{"a>b", "b>c", "c>d", "d>a", "b>a"}, [][]string{{"a", "b"}}},
		{"two components", []string{"x>y", "y>x", "b>c", "c>b", "b>x"}, [][]string{{"b", "c"}, {"x", "y"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, tt.edges...)
			got := g.Cycles()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Cycles(%q) mismatch (-want +got):\n%s", tt.edges, diff)
			}
			_, err := g.TopoOrder()
			if gotErr := errors.Is(err, ErrCycle); gotErr != (tt.want != nil) {
				t.Errorf("TopoOrder(%q) error = %v; want cycle error %v", tt.edges, err, tt.want != nil)
			}
			var ce *CycleError
			if errors.As(err, &ce) {
				if diff := cmp.Diff(tt.want, ce.Cycles); diff != "" {
					t.Errorf("CycleError.Cycles mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestCycleErrorMessage(t *testing.T) {
	err := build(t, "a>b", "b>a").Validate()
	if got, want := err.Error(), "dependency cycle: a -> b -> a"; got != want {
		t.Errorf("Validate().Error() = %q; want %q", got, want)
	}
	if err := build(t, "a>b").Validate(); err != nil {
		t.Errorf("Validate() of acyclic graph = %v; want nil", err)
	}
}

func TestDepthsAndWaves(t *testing.T) {
	tests := []struct {
		name   string
		edges  []string
		depths map[string]int
		waves  [][]string
	}{
		{"empty", nil, map[string]int{}, nil},
		{"diamond", []string{"d>b", "d>c", "b>a", "c>a"},
			map[string]int{"a": 0, "b": 1, "c": 1, "d": 2},
			[][]string{{"a"}, {"b", "c"}, {"d"}}},
		{"longest wins", []string{"c>a", "c>b", "b>a", "x"},
			map[string]int{"a": 0, "b": 1, "c": 2, "x": 0},
			[][]string{{"a", "x"}, {"b"}, {"c"}}},
		{"cycle left out", []string{"a>b", "b>a", "c>a", "d"},
			map[string]int{"d": 0},
			[][]string{{"d"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, tt.edges...)
			if diff := cmp.Diff(tt.depths, g.Depths()); diff != "" {
				t.Errorf("Depths(%q) mismatch (-want +got):\n%s", tt.edges, diff)
			}
			if diff := cmp.Diff(tt.waves, g.Waves()); diff != "" {
				t.Errorf("Waves(%q) mismatch (-want +got):\n%s", tt.edges, diff)
			}
		})
	}
}

func TestCriticalPath(t *testing.T) {
	weights := map[string]float64{"a": 1, "b": 5, "c": 1, "d": 1, "x": 2}
	tests := []struct {
		name   string
		edges  []string
		weight func(string) float64
		want   []string
	}{
		{"empty", nil, nil, nil},
		{"unit weights longest chain", []string{"d>b", "d>c", "b>a", "c>a", "x"}, nil, []string{"a", "b", "d"}},
		{"weights pick heavy branch", []string{"d>b", "d>c", "b>a", "c>a"},
			func(n string) float64 { return weights[n] }, []string{"a", "b", "d"}},
		{"heavy lone vertex", []string{"a>c", "x"},
			func(n string) float64 { return map[string]float64{"a": 1, "c": 1, "x": 9}[n] }, []string{"x"}},
		{"tie to smallest", []string{"b", "a"}, nil, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := build(t, tt.edges...).CriticalPath(tt.weight)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CriticalPath(%q) mismatch (-want +got):\n%s", tt.edges, diff)
			}
		})
	}
}

func TestGraphBasics(t *testing.T) {
	g := build(t, "b>a", "c>a", "c>b")
	if got, want := g.Deps("c"), []string{"a", "b"}; !cmp.Equal(got, want) {
		t.Errorf("Deps(%q) = %v; want %v", "c", got, want)
	}
	if got, want := g.Dependents("a"), []string{"b", "c"}; !cmp.Equal(got, want) {
		t.Errorf("Dependents(%q) = %v; want %v", "a", got, want)
	}
	if got := g.Deps("a"); got != nil {
		t.Errorf("Deps(%q) = %v; want nil", "a", got)
	}
	if !g.HasEdge("b", "a") || g.HasEdge("a", "b") {
		t.Errorf("HasEdge(b, a), HasEdge(a, b) = %v, %v; want true, false", g.HasEdge("b", "a"), g.HasEdge("a", "b"))
	}
	g.Add(node("a")) // replace keeps edges
	if got, want := g.Dependents("a"), []string{"b", "c"}; !cmp.Equal(got, want) {
		t.Errorf("after replace Dependents(%q) = %v; want %v", "a", got, want)
	}
	if _, ok := g.Vertex("zz"); ok {
		t.Errorf("Vertex(%q) found; want missing", "zz")
	}
	var names []string
	for _, v := range g.Vertices() {
		names = append(names, v.Name())
	}
	if want := []string{"a", "b", "c"}; !cmp.Equal(names, want) {
		t.Errorf("Vertices() = %v; want %v", names, want)
	}
	if got, want := g.String(), "a\nb\n  a\nc\n  a\n  b\n"; got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
	sub := g.Subgraph(func(n string) bool { return n != "b" })
	if got, want := sub.String(), "a\nc\n  a\n"; got != want {
		t.Errorf("Subgraph(not b).String() = %q; want %q", got, want)
	}
	if g.Len() != 3 || sub.Len() != 2 {
		t.Errorf("Len() = %d, %d; want 3, 2", g.Len(), sub.Len())
	}
}

func TestConnectUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("Connect to unknown vertex did not panic")
		}
	}()
	build(t, "a").Connect("a", "missing")
}

func TestZeroGraph(t *testing.T) {
	var g Graph
	if order, err := g.TopoOrder(); err != nil || len(order) != 0 {
		t.Errorf("zero Graph TopoOrder() = %v, %v; want [], nil", order, err)
	}
	g.Add(node("x"))
	if got := g.Names(); !cmp.Equal(got, []string{"x"}) {
		t.Errorf("Names() = %v; want [x]", got)
	}
}
