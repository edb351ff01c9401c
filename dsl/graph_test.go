package dsl

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGraphCycles(t *testing.T) {
	type want struct {
		Path   []int // vertices in cycle order, starting vertex first
		Others []int
	}
	tests := []struct {
		name  string
		n     int
		edges [][2]int
		want  []want
	}{
		{name: "dag", n: 4, edges: [][2]int{{0, 1}, {1, 2}, {0, 2}, {2, 3}}},
		{name: "self loop", n: 2, edges: [][2]int{{1, 1}}, want: []want{{Path: []int{1}}}},
		{name: "triangle", n: 3, edges: [][2]int{{2, 0}, {0, 1}, {1, 2}}, want: []want{{Path: []int{0, 1, 2}}}},
		{name: "figure eight", n: 3, edges: [][2]int{{0, 1}, {1, 0}, {1, 2}, {2, 1}},
			want: []want{{Path: []int{0, 1}, Others: []int{2}}}},
		{name: "two cycles", n: 5, edges: [][2]int{{0, 1}, {1, 0}, {3, 4}, {4, 3}, {1, 3}},
			want: []want{{Path: []int{0, 1}}, {Path: []int{3, 4}}}},
		{name: "shortest path is chosen", n: 4, edges: [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 0}, {1, 0}},
			want: []want{{Path: []int{0, 1}, Others: []int{2, 3}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(tt.n)
			for _, e := range tt.edges {
				g.connect(e[0], e[1], nil)
			}
			var got []want
			for _, c := range g.cycles(func(int) bool { return true }) {
				w := want{Others: c.others}
				for i, e := range c.edges {
					w.Path = append(w.Path, e.from)
					if next := c.edges[(i+1)%len(c.edges)].from; e.to != next {
						t.Errorf("edge %d -> %d is followed by an edge from %d", e.from, e.to, next)
					}
				}
				got = append(got, w)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("cycles() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGraphDeepChain makes sure the walk is iterative: a chain far deeper
// than any recursion would like must not overflow or slow down.
func TestGraphDeepChain(t *testing.T) {
	const n = 200000
	g := newGraph(n)
	for i := 0; i+1 < n; i++ {
		g.connect(i, i+1, nil)
	}
	g.connect(n-1, 0, nil)
	cs := g.cycles(func(int) bool { return true })
	if len(cs) != 1 || len(cs[0].edges) != n {
		t.Fatalf("cycles() on a ring of %d = %d cycles; want one of length %d", n, len(cs), n)
	}
}
