package plan

import (
	"strings"

	"github.com/pipeline-cd/pipeline/dsl"
)

// resolveStep maps an --only name to a stage and some of its steps:
// "test.unit.go-test" names a step (every combination of a matrix step),
// "test.unit.go-test[go=1.26,arch=amd64]" one combination. It returns ""
// when no step has that name.
func (ix *stageIndex) resolveStep(name string) (string, []string) {
	for _, s := range ix.cfg.Stages {
		prefix := s.Address() + "."
		if !strings.HasPrefix(name, prefix) || ix.byAddr[s.Address()] != s {
			continue
		}
		rest := name[len(prefix):]
		var out []string
		for _, st := range s.Steps {
			if st.Name == rest || st.Block == rest {
				out = append(out, st.Name)
			}
		}
		if len(out) > 0 {
			return s.Address(), out
		}
	}
	return "", nil
}

// stepFilter returns, for each stage some of whose steps --only named, the
// named steps and every sibling step they need, directly or not. A stage
// that is also selected whole, by name or as a dependency of a stage
// selected whole, keeps every step.
func (ix *stageIndex) stepFilter(stepOnly map[string][]string, whole []string) map[string]map[string]bool {
	if len(stepOnly) == 0 {
		return nil
	}
	all := func(string) bool { return true }
	wholeSet := map[string]bool{}
	for queue := whole; len(queue) > 0; {
		a := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if wholeSet[a] {
			continue
		}
		wholeSet[a] = true
		for _, d := range ix.deps(a, all) {
			queue = append(queue, d.addr)
		}
	}
	out := map[string]map[string]bool{}
	for addr, names := range stepOnly {
		if wholeSet[addr] {
			continue
		}
		s := ix.byAddr[addr]
		byName := make(map[string]*dsl.Step, len(s.Steps))
		for _, st := range s.Steps {
			byName[st.Name] = st
		}
		keep := map[string]bool{}
		for queue := names; len(queue) > 0; {
			n := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if keep[n] || byName[n] == nil {
				continue
			}
			keep[n] = true
			queue = append(queue, byName[n].Needs...)
		}
		out[addr] = keep
	}
	return out
}

// keepStep reports whether the selection keeps step st of stage addr.
func (ix *stageIndex) keepStep(addr string, st *dsl.Step) bool {
	keep, filtered := ix.steps[addr]
	return !filtered || keep[st.Name]
}

func stepHint(flag string) string {
	if flag != "--only" {
		return ""
	}
	return "; --only also takes a step, as STAGE.STEP (test.unit.go-test) or one combination of a matrix step (test.unit.go-test[go=1.26,arch=amd64])"
}
