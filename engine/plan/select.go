package plan

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pipeline-cd/pipeline/dsl"
)

// ErrSelection is matched (errors.Is) by every *SelectionError.
var ErrSelection = errors.New("invalid stage selection")

// SelectionError lists every problem with the --only, --skip and --until
// options: unknown names and stages left out although a kept stage needs
// them.
type SelectionError struct {
	Problems []SelectionProblem
}

// SelectionProblem is one problem with a selection.
type SelectionProblem struct {
	// Flag is the option at fault: "--only", "--skip" or "--until".
	Flag string
	// Name is the unknown name given to Flag; empty for a missing
	// dependency.
	Name string
	// Stage is the kept stage (or "release") whose dependency is missing.
	Stage string
	// Missing is the stage address left out although Stage needs it.
	Missing string
	// Detail says what is wrong and how to fix it, in full sentences.
	Detail string
}

// Error lists every problem, one per line.
func (e *SelectionError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Detail
	}
	return fmt.Sprintf("%s: %s", ErrSelection, strings.Join(lines, "\n"))
}

// Unwrap returns ErrSelection.
func (e *SelectionError) Unwrap() error { return ErrSelection }

// unitDep is a dependency of a stage or of the release at stage level.
type unitDep struct {
	addr string // stage address or ReleaseID
	hard bool   // explicit (needs, requires, release); false: kind order
}

// stageIndex answers stage-level questions about a config.
type stageIndex struct {
	cfg         *dsl.Config
	byAddr      map[string]*dsl.Stage
	hasPackages bool
	// byKind lists the stage addresses of each kind in config order.
	byKind map[dsl.StageKind][]string
	// steps, set by selectUnits, keeps only some steps of a stage: those
	// --only named (test.unit.go-test[go=1.26,arch=amd64]) and the
	// sibling steps they need. A stage not in it keeps every step.
	steps map[string]map[string]bool
}

func newStageIndex(cfg *dsl.Config) *stageIndex {
	ix := &stageIndex{cfg: cfg, byAddr: make(map[string]*dsl.Stage, len(cfg.Stages)), byKind: make(map[dsl.StageKind][]string)}
	for _, s := range cfg.Stages {
		addr := s.Address()
		if _, dup := ix.byAddr[addr]; !dup {
			ix.byAddr[addr] = s
		}
		ix.byKind[s.Kind] = append(ix.byKind[s.Kind], addr)
		if s.Kind == dsl.KindPackage {
			ix.hasPackages = true
		}
	}
	return ix
}

func kindRank(k dsl.StageKind) int {
	for i, sk := range dsl.StageKinds {
		if sk == k {
			return i
		}
	}
	return -1
}

// deps returns the stage-level dependencies of addr, given which stages
// are present (kind order skips kinds with no present stage).
func (ix *stageIndex) deps(addr string, present func(string) bool) []unitDep {
	if addr == ReleaseID {
		var out []unitDep
		for _, s := range ix.cfg.Stages {
			if s.Kind == dsl.KindPackage {
				out = append(out, unitDep{s.Address(), true})
			}
		}
		return out
	}
	s := ix.byAddr[addr]
	if s == nil {
		return nil
	}
	var out []unitDep
	if s.NeedsSet {
		for _, n := range s.Needs {
			out = append(out, unitDep{n.Address(), true})
		}
	}
	if s.Kind == dsl.KindEnvironment {
		for _, r := range s.Requires {
			out = append(out, unitDep{string(dsl.KindEnvironment) + "." + r, true})
		}
		if ix.hasPackages {
			return append(out, unitDep{ReleaseID, true})
		}
	}
	if s.NeedsSet {
		return out
	}
	for r := kindRank(s.Kind) - 1; r >= 0; r-- {
		var prev []unitDep
		for _, a := range ix.byKind[dsl.StageKinds[r]] {
			if present(a) {
				prev = append(prev, unitDep{a, false})
			}
		}
		if len(prev) > 0 {
			return append(out, prev...)
		}
	}
	return out
}

// resolve maps a selection name to stage addresses: an address, a kind, or
// an environment name.
func (ix *stageIndex) resolve(name string) []string {
	if _, ok := ix.byAddr[name]; ok {
		return []string{name}
	}
	var out []string
	for _, s := range ix.cfg.Stages {
		if string(s.Kind) == name {
			out = append(out, s.Address())
		}
	}
	if len(out) > 0 {
		return out
	}
	if _, ok := ix.byAddr[string(dsl.KindEnvironment)+"."+name]; ok {
		return []string{string(dsl.KindEnvironment) + "." + name}
	}
	return nil
}

func (ix *stageIndex) unknownName(flag, name string) SelectionProblem {
	var addrs []string
	for _, s := range ix.cfg.Stages {
		addrs = append(addrs, s.Address())
	}
	sort.Strings(addrs)
	return SelectionProblem{
		Flag: flag,
		Name: name,
		Detail: fmt.Sprintf("%s %s: no stage is named %q. Name a stage (%s), a kind (build, test, package, environment) or an environment%s.",
			flag, name, name, strings.Join(addrs, ", "), stepHint(flag)),
	}
}

// selectUnits applies the options and returns the selected stage addresses
// (and ReleaseID when the release is kept).
func (ix *stageIndex) selectUnits(opts Options) (map[string]bool, error) {
	all := func(string) bool { return true }
	var problems []SelectionProblem

	selected := make(map[string]bool)
	if len(opts.Only) > 0 {
		var queue, whole []string
		stepOnly := map[string][]string{}
		for _, name := range opts.Only {
			addrs := ix.resolve(name)
			whole = append(whole, addrs...)
			if addrs == nil {
				if addr, steps := ix.resolveStep(name); addr != "" {
					stepOnly[addr] = append(stepOnly[addr], steps...)
					addrs = []string{addr}
				}
			}
			if addrs == nil {
				problems = append(problems, ix.unknownName("--only", name))
			}
			queue = append(queue, addrs...)
		}
		ix.steps = ix.stepFilter(stepOnly, whole)
		for len(queue) > 0 {
			a := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if selected[a] {
				continue
			}
			selected[a] = true
			for _, d := range ix.deps(a, all) {
				queue = append(queue, d.addr)
			}
		}
	} else {
		for a := range ix.byAddr {
			selected[a] = true
		}
	}

	removedBy := make(map[string]string)
	if opts.Until != "" {
		addrs := ix.resolve(opts.Until)
		if len(addrs) != 1 || ix.byAddr[addrs[0]].Kind != dsl.KindEnvironment {
			p := ix.unknownName("--until", opts.Until)
			if envs := ix.envNames(); len(envs) > 0 {
				p.Detail = fmt.Sprintf("--until %s: no environment is named %q. Name one of: %s.",
					opts.Until, opts.Until, strings.Join(envs, ", "))
			} else {
				p.Detail = fmt.Sprintf("--until %s: the pipeline has no environments, so there is nothing to stop after; drop --until.",
					opts.Until)
			}
			problems = append(problems, p)
		} else {
			keep := ix.envClosure(addrs[0])
			for a := range selected {
				if s := ix.byAddr[a]; s != nil && s.Kind == dsl.KindEnvironment && !keep[a] {
					delete(selected, a)
					removedBy[a] = "--until"
				}
			}
		}
	}
	for _, name := range opts.Skip {
		addrs := ix.resolve(name)
		if addrs == nil {
			problems = append(problems, ix.unknownName("--skip", name))
		}
		for _, a := range addrs {
			if selected[a] {
				delete(selected, a)
			}
			removedBy[a] = "--skip"
		}
	}
	// The release is kept exactly when every package stage is.
	delete(selected, ReleaseID)
	if ix.hasPackages {
		selected[ReleaseID] = true
		for _, d := range ix.deps(ReleaseID, all) {
			if !selected[d.addr] {
				delete(selected, ReleaseID)
				break
			}
		}
	}
	problems = append(problems, ix.missingDeps(selected, removedBy)...)
	if len(problems) > 0 {
		return nil, &SelectionError{Problems: problems}
	}
	return selected, nil
}

// missingDeps reports every hard dependency of a selected stage that the
// selection left out.
func (ix *stageIndex) missingDeps(selected map[string]bool, removedBy map[string]string) []SelectionProblem {
	units := make([]string, 0, len(selected))
	for a := range selected {
		units = append(units, a)
	}
	sort.Strings(units)
	all := func(string) bool { return true }
	var problems []SelectionProblem
	for _, a := range units {
		for _, d := range ix.deps(a, all) {
			if _, declared := ix.byAddr[d.addr]; !d.hard || selected[d.addr] || (!declared && d.addr != ReleaseID) {
				continue // undeclared stages are reported when the plan is built
			}
			missing, via := d.addr, ""
			if d.addr == ReleaseID {
				for _, pd := range ix.deps(ReleaseID, all) {
					if !selected[pd.addr] {
						missing, via = pd.addr, " through the release, which needs every package stage"
						break
					}
				}
			}
			flag := removedBy[missing]
			if flag == "" {
				flag = "--only"
			}
			problems = append(problems, SelectionProblem{
				Flag:    flag,
				Stage:   a,
				Missing: missing,
				Detail: fmt.Sprintf("%s needs %s%s, but %s leaves it out. Keep %s in the selection, or leave %s out too.",
					a, missing, via, flag, missing, a),
			})
		}
	}
	return problems
}

func (ix *stageIndex) envNames() []string {
	var out []string
	for _, s := range ix.cfg.Environments() {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}

// envClosure returns env and every environment it needs or requires,
// directly or through other stages.
func (ix *stageIndex) envClosure(env string) map[string]bool {
	seen := map[string]bool{}
	queue := []string{env}
	all := func(string) bool { return true }
	for len(queue) > 0 {
		a := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if seen[a] {
			continue
		}
		seen[a] = true
		for _, d := range ix.deps(a, all) {
			if _, ok := ix.byAddr[d.addr]; ok || d.addr == ReleaseID {
				queue = append(queue, d.addr)
			}
		}
	}
	return seen
}
