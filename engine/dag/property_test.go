package dag

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// randomDAG builds a DAG of n vertices whose edges only point from a higher
// to a lower creation number, so it cannot have a cycle. Names are shuffled
// relative to creation order so that name order and topological order differ.
func randomDAG(r *rand.Rand, n int, density float64) *Graph {
	g := New()
	perm := r.Perm(n)
	name := func(i int) string { return fmt.Sprintf("v%05d", perm[i]) }
	for i := range n {
		g.Add(node(name(i)))
	}
	for i := 1; i < n; i++ {
		k := r.Intn(4)
		if r.Float64() < density {
			k += r.Intn(6)
		}
		for range k {
			g.Connect(name(i), name(r.Intn(i)))
		}
	}
	return g
}

func TestRandomDAGProperties(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			g := randomDAG(r, 1+r.Intn(200), r.Float64())
			weight := func(n string) float64 { return float64(len(n)%3) + float64(n[len(n)-1]-'0') }

			order, err := g.TopoOrder()
			if err != nil {
				t.Fatalf("TopoOrder() error on a DAG: %v", err)
			}
			if len(order) != g.Len() {
				t.Fatalf("TopoOrder() has %d vertices; want %d", len(order), g.Len())
			}
			pos := make(map[string]int, len(order))
			for i, n := range order {
				pos[n] = i
			}
			for _, n := range order {
				for _, d := range g.Deps(n) {
					if pos[d] >= pos[n] {
						t.Errorf("TopoOrder(): %s at %d before its dependency %s at %d", n, pos[n], d, pos[d])
					}
				}
			}
			if c := g.Cycles(); c != nil {
				t.Errorf("Cycles() = %v on a DAG; want nil", c)
			}

			// Waves are maximal: each vertex sits one past its latest dependency.
			wave := map[string]int{}
			total := 0
			for i, w := range g.Waves() {
				if len(w) == 0 {
					t.Errorf("Waves()[%d] is empty", i)
				}
				for _, n := range w {
					wave[n] = i
				}
				total += len(w)
			}
			if total != g.Len() {
				t.Errorf("Waves() hold %d vertices; want %d", total, g.Len())
			}
			for _, n := range order {
				want := 0
				for _, d := range g.Deps(n) {
					want = max(want, wave[d]+1)
				}
				if wave[n] != want {
					t.Errorf("wave(%s) = %d; want %d (1 + max wave of deps)", n, wave[n], want)
				}
			}

			// The critical path is a chain, and no chain is heavier.
			path := g.CriticalPath(weight)
			sum := 0.0
			for i, n := range path {
				sum += weight(n)
				if i > 0 && !g.HasEdge(n, path[i-1]) {
					t.Errorf("CriticalPath(): %s does not depend on %s", n, path[i-1])
				}
			}
			if len(path) > 0 && len(g.Deps(path[0])) != 0 {
				t.Errorf("CriticalPath() starts at %s, which has dependencies", path[0])
			}
			heaviest := map[string]float64{}
			best := 0.0
			for _, n := range order {
				h := 0.0
				for _, d := range g.Deps(n) {
					h = max(h, heaviest[d])
				}
				heaviest[n] = h + weight(n)
				best = max(best, heaviest[n])
			}
			if sum != best {
				t.Errorf("CriticalPath() weight = %v; want the heaviest chain weight %v", sum, best)
			}
		})
	}
}

func TestDeterministicAcrossRuns(t *testing.T) {
	type result struct {
		Order  []string
		Waves  [][]string
		Path   []string
		String string
		Cycles [][]string
	}
	run := func() result {
		r := rand.New(rand.NewSource(42))
		g := randomDAG(r, 300, 0.5)
		// Add a few cycles so Cycles has work to do.
		names := g.Names()
		g.Connect(names[0], names[len(names)-1])
		g.Connect(names[len(names)-1], names[0])
		g.Connect(names[7], names[7])
		_, err := g.TopoOrder()
		ce := err.(*CycleError)
		sub := g.Subgraph(func(n string) bool { return n != names[0] && n != names[len(names)-1] && n != names[7] })
		order, _ := sub.TopoOrder()
		return result{order, sub.Waves(), sub.CriticalPath(nil), g.String(), ce.Cycles}
	}
	first := run()
	if len(first.Cycles) != 2 {
		t.Fatalf("Cycles() = %v; want 2 cycles", first.Cycles)
	}
	for i := range 100 {
		if diff := cmp.Diff(first, run()); diff != "" {
			t.Fatalf("run %d differs from run 0 (-first +got):\n%s", i+1, diff)
		}
	}
}

func TestLargeGraphIsFast(t *testing.T) {
	const n = 50000
	g := New()
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("s%06d", i)
		g.Add(node(names[i]))
	}
	// A deep chain plus a wide fan-in: worst cases for recursion and width.
	for i := 1; i < n; i++ {
		g.Connect(names[i], names[i-1])
		if i%100 == 0 {
			g.Connect(names[n-1], names[i/2])
		}
	}
	start := time.Now()
	order, err := g.TopoOrder()
	if err != nil || len(order) != n {
		t.Fatalf("TopoOrder() = %d vertices, %v; want %d, nil", len(order), err, n)
	}
	if c := g.Cycles(); c != nil {
		t.Fatalf("Cycles() = %v; want nil", c)
	}
	if w := g.Waves(); len(w) != n {
		t.Fatalf("len(Waves()) = %d; want %d", len(w), n)
	}
	if p := g.CriticalPath(nil); len(p) != n {
		t.Fatalf("len(CriticalPath()) = %d; want %d", len(p), n)
	}
	// Generous bound: the point is linear time, not a benchmark figure.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("ordering 50,000 vertices took %v; want well under 10s", d)
	}
}

func BenchmarkTopoOrder50k(b *testing.B) {
	g := randomDAG(rand.New(rand.NewSource(1)), 50000, 0.3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.TopoOrder(); err != nil {
			b.Fatal(err)
		}
	}
}
