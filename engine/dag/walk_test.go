package dag

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWalkParallelism(t *testing.T) {
	for _, p := range []int{1, 2, 3, 0} {
		t.Run(fmt.Sprintf("parallelism=%d", p), func(t *testing.T) {
			g := New()
			for i := range 12 {
				g.Add(node(fmt.Sprintf("w%02d", i)))
			}
			var cur, peak atomic.Int32
			results := g.Walk(context.Background(), p, func(ctx context.Context, v Vertex) error {
				c := cur.Add(1)
				for {
					old := peak.Load()
					if c <= old || peak.CompareAndSwap(old, c) {
						break
					}
				}
				time.Sleep(5 * time.Millisecond)
				cur.Add(-1)
				return nil
			})
			want := int32(p)
			if p <= 0 {
				want = 12
			}
			if got := peak.Load(); got > want || (want > 1 && got < 2) {
				t.Errorf("Walk(parallelism=%d) peak concurrency = %d; want at most %d (and >1 when allowed)", p, got, want)
			}
			if len(results) != 12 {
				t.Errorf("Walk() returned %d results; want 12", len(results))
			}
			for n, err := range results {
				if err != nil {
					t.Errorf("Walk() result[%s] = %v; want nil", n, err)
				}
			}
		})
	}
}

func TestWalkOrderAndSkips(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name  string
		edges []string
		fail  map[string]bool
		want  map[string]string // "" ok, "fail", "up:X"
	}{
		{"all ok", []string{"b>a", "c>b"}, nil,
			map[string]string{"a": "", "b": "", "c": ""}},
		{"failure skips dependents transitively", []string{"b>a", "c>b", "x"}, map[string]bool{"a": true},
			map[string]string{"a": "fail", "b": "up:a", "c": "up:b", "x": ""}},
		{"first failed dependency by name", []string{"d>b", "d>c", "e>d"}, map[string]bool{"b": true, "c": true},
			map[string]string{"b": "fail", "c": "fail", "d": "up:b", "e": "up:d"}},
		{"sibling still runs", []string{"d>b", "d>c"}, map[string]bool{"c": true},
			map[string]string{"b": "", "c": "fail", "d": "up:c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := build(t, tt.edges...)
			var mu sync.Mutex
			done := map[string]bool{}
			results := g.Walk(context.Background(), 2, func(ctx context.Context, v Vertex) error {
				mu.Lock()
				defer mu.Unlock()
				for _, d := range g.Deps(v.Name()) {
					if !done[d] {
						t.Errorf("Walk called %s before its dependency %s finished", v.Name(), d)
					}
				}
				done[v.Name()] = true
				if tt.fail[v.Name()] {
					return boom
				}
				return nil
			})
			got := map[string]string{}
			for n, err := range results {
				var up *UpstreamError
				switch {
				case err == nil:
					got[n] = ""
				case errors.As(err, &up):
					got[n] = "up:" + up.Upstream
					if done[n] {
						t.Errorf("Walk called skipped vertex %s", n)
					}
				case errors.Is(err, boom):
					got[n] = "fail"
				default:
					got[n] = err.Error()
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Walk(%q) results mismatch (-want +got):\n%s", tt.edges, diff)
			}
		})
	}
}

func TestWalkCancel(t *testing.T) {
	g := build(t, "b>a", "c>b", "x", "y")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls []string
	results := g.Walk(ctx, 1, func(ctx context.Context, v Vertex) error {
		calls = append(calls, v.Name())
		if v.Name() == "a" {
			cancel()
		}
		return nil
	})
	// Parallelism 1 and name order: a runs first, cancels, nothing else starts.
	if want := []string{"a"}; !cmp.Equal(calls, want) {
		t.Errorf("Walk() after cancel called %v; want %v", calls, want)
	}
	for _, n := range []string{"b", "c", "x", "y"} {
		if !errors.Is(results[n], context.Canceled) {
			t.Errorf("Walk() result[%s] = %v; want context.Canceled", n, results[n])
		}
	}
	if results["a"] != nil {
		t.Errorf("Walk() result[a] = %v; want nil", results["a"])
	}
}

func TestWalkCycle(t *testing.T) {
	g := build(t, "a>b", "b>a", "c>a", "d")
	results := g.Walk(context.Background(), 0, func(ctx context.Context, v Vertex) error { return nil })
	for _, n := range []string{"a", "b", "c"} {
		if !errors.Is(results[n], ErrCycle) {
			t.Errorf("Walk() result[%s] = %v; want ErrCycle", n, results[n])
		}
	}
	if results["d"] != nil {
		t.Errorf("Walk() result[d] = %v; want nil", results["d"])
	}
}

func TestWalkRandomDAGs(t *testing.T) {
	for seed := int64(1); seed <= 10; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			g := randomDAG(r, 300, 0.5)
			names := g.Names()
			fail := map[string]bool{names[r.Intn(len(names))]: true}
			var mu sync.Mutex
			finished := map[string]bool{}
			results := g.Walk(context.Background(), 4, func(ctx context.Context, v Vertex) error {
				mu.Lock()
				defer mu.Unlock()
				for _, d := range g.Deps(v.Name()) {
					if !finished[d] {
						t.Errorf("%s started before dependency %s finished", v.Name(), d)
					}
				}
				finished[v.Name()] = true
				if fail[v.Name()] {
					return errors.New("fail")
				}
				return nil
			})
			order, _ := g.TopoOrder()
			for _, n := range order {
				bad := false
				for _, d := range g.Deps(n) {
					bad = bad || results[d] != nil
				}
				if bad != IsUpstream(results[n]) {
					t.Errorf("result[%s] = %v; upstream failure = %v", n, results[n], bad)
				}
				if finished[n] == IsUpstream(results[n]) {
					t.Errorf("vertex %s called = %v with result %v", n, finished[n], results[n])
				}
			}
		})
	}
}

// tolerantNode is a vertex that runs after failed dependencies.
type tolerantNode string

func (n tolerantNode) Name() string   { return string(n) }
func (n tolerantNode) Tolerant() bool { return true }

// TestWalkTolerant: a TolerantVertex runs once its dependencies finished,
// failed or skipped; what depends on a failed vertex through it still
// depends on the tolerant vertex's own result.
func TestWalkTolerant(t *testing.T) {
	g := New()
	g.Add(node("build"))
	g.Add(node("test"))
	g.Add(tolerantNode("cleanup"))
	g.Add(node("after"))
	g.Connect("test", "build")
	g.Connect("cleanup", "test")
	g.Connect("after", "test")
	var mu sync.Mutex
	var called []string
	results := g.Walk(context.Background(), 2, func(ctx context.Context, v Vertex) error {
		mu.Lock()
		called = append(called, v.Name())
		mu.Unlock()
		if v.Name() == "build" {
			return errors.New("boom")
		}
		return nil
	})
	if diff := cmp.Diff([]string{"build", "cleanup"}, called); diff != "" {
		t.Errorf("called (-want +got):\n%s", diff)
	}
	if results["cleanup"] != nil {
		t.Errorf("cleanup result = %v; want nil (it ran)", results["cleanup"])
	}
	if !IsUpstream(results["after"]) || !IsUpstream(results["test"]) {
		t.Errorf("after = %v, test = %v; want both skipped upstream", results["after"], results["test"])
	}
}
