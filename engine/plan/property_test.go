package plan

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

// ancestors returns, for every node, the set of nodes it transitively needs.
func ancestors(p *Plan) map[string]map[string]bool {
	order, _ := p.Graph.TopoOrder()
	anc := make(map[string]map[string]bool, len(order))
	for _, id := range order {
		set := map[string]bool{}
		for _, d := range p.Node(id).Needs {
			set[d] = true
			for a := range anc[d] {
				set[a] = true
			}
		}
		anc[id] = set
	}
	return anc
}

func TestRandomConfigs(t *testing.T) {
	for seed := int64(1); seed <= 60; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			src, stages := genRandom(rand.New(rand.NewSource(seed)))
			cfg := loadHCL(t, src)
			p, err := New(cfg, Options{})
			require.NoError(t, err, "config:\n%s", src)
			anc := ancestors(p)
			byAddr := map[string]genStage{}
			for _, s := range stages {
				byAddr[s.addr()] = s
			}
			nodesOf := func(s genStage) []string {
				var out []string
				if s.kind == "environment" {
					out = append(out, s.addr())
					for _, g := range s.gates {
						out = append(out, s.addr()+".gate."+g)
					}
				}
				for _, st := range s.steps {
					out = append(out, s.addr()+"."+st)
				}
				return out
			}
			// Every step is planned; every node of a stage comes after every
			// node of each stage it depends on.
			ix := newStageIndex(cfg)
			for _, s := range stages {
				for _, id := range nodesOf(s) {
					if p.Node(id) == nil {
						t.Fatalf("node %s missing from the plan of:\n%s", id, src)
					}
				}
				for _, d := range ix.deps(s.addr(), func(string) bool { return true }) {
					var before []string
					if d.addr == ReleaseID {
						before = []string{ReleaseID}
					} else {
						before = nodesOf(byAddr[d.addr])
					}
					for _, id := range nodesOf(s) {
						for _, b := range before {
							if !anc[id][b] {
								t.Errorf("%s does not wait for %s (%s depends on %s)", id, b, s.addr(), d.addr)
							}
						}
					}
				}
				for st, needs := range s.stepNeed {
					for _, n := range needs {
						if !anc[s.addr()+"."+st][s.addr()+"."+n] {
							t.Errorf("step %s.%s does not wait for sibling %s", s.addr(), st, n)
						}
					}
				}
				if s.kind == "environment" {
					for _, st := range s.steps {
						for _, g := range s.gates {
							if !anc[s.addr()+"."+st][s.addr()+".gate."+g] {
								t.Errorf("step %s.%s does not wait for gate %s", s.addr(), st, g)
							}
						}
					}
				}
			}
			// Waves are maximal and the critical path spans them all.
			for _, n := range p.Nodes {
				want := 0
				for _, d := range n.Needs {
					want = max(want, p.Node(d).Depth+int(p.weight(d)))
				}
				if n.Depth != want {
					t.Errorf("Depth(%s) = %d; want %d", n.ID, n.Depth, want)
				}
			}
			if len(p.CriticalPath) != len(p.Waves) {
				t.Errorf("len(CriticalPath) = %d; want len(Waves) = %d", len(p.CriticalPath), len(p.Waves))
			}
			for i := 1; i < len(p.CriticalPath); i++ {
				if !anc[p.CriticalPath[i]][p.CriticalPath[i-1]] {
					t.Errorf("critical path: %s does not wait for %s", p.CriticalPath[i], p.CriticalPath[i-1])
				}
			}
			// Byte-identical renderings from a fresh load.
			p2, err := New(loadHCL(t, src), Options{})
			require.NoError(t, err)
			a, b := render(t, p), render(t, p2)
			for f := range a {
				if !bytes.Equal(a[f], b[f]) {
					t.Errorf("%s differs between two plans of the same config", f)
				}
			}
		})
	}
}

// TestRandomSelections checks that a selection keeps every hard
// dependency of what it keeps, or fails with a SelectionError.
func TestRandomSelections(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewSource(seed))
			src, stages := genRandom(r)
			if len(stages) == 0 {
				return
			}
			cfg := loadHCL(t, src)
			opts := Options{Only: []string{stages[r.Intn(len(stages))].addr()}}
			if r.Intn(2) == 0 {
				opts.Skip = []string{stages[r.Intn(len(stages))].addr()}
			}
			p, err := New(cfg, opts)
			if err != nil {
				require.ErrorIs(t, err, ErrSelection)
				return
			}
			ix := newStageIndex(cfg)
			all := func(string) bool { return true }
			for _, n := range p.Nodes {
				if n.StageDef == nil {
					continue
				}
				for _, d := range ix.deps(n.Stage, all) {
					if d.hard && p.Node(d.addr) == nil {
						t.Errorf("%+v: %s kept but its dependency %s is not in the plan", opts, n.Stage, d.addr)
					}
				}
			}
		})
	}
}
