package plan

import (
	"fmt"
	"math/rand"
	"strings"
)

// genStage is a stage of a generated config, kept for checking the plan.
type genStage struct {
	kind     string
	name     string
	needs    []string // stage addresses; nil means kind order
	requires []string // environment names
	steps    []string
	stepNeed map[string][]string
	gates    []string
	artifact bool // package stages: an artifact block
}

func (s genStage) addr() string { return s.kind + "." + s.name }

// genRandom generates a random valid config: stages only need stages of
// the same or an earlier kind declared before them, steps only need earlier
// siblings, environments only require earlier environments, so no cycle is
// possible.
func genRandom(r *rand.Rand) (string, []genStage) {
	kinds := []string{"build", "test", "package", "environment"}
	var stages []genStage
	for _, kind := range kinds {
		for i := range r.Intn(4) {
			s := genStage{kind: kind, name: fmt.Sprintf("%s%d", kind[:1], i), stepNeed: map[string][]string{}}
			if len(stages) > 0 && r.Intn(3) == 0 {
				s.needs = []string{}
				for _, o := range stages {
					if o.kind != "environment" && r.Intn(2) == 0 {
						s.needs = append(s.needs, o.addr())
					}
				}
			}
			if kind == "environment" {
				for _, o := range stages {
					if o.kind == "environment" && r.Intn(2) == 0 {
						s.requires = append(s.requires, o.name)
					}
				}
				for g := range r.Intn(3) {
					s.gates = append(s.gates, fmt.Sprintf("g%d", g))
				}
			}
			n := r.Intn(5)
			switch {
			case kind == "package" && n == 0:
				s.artifact = true
			case kind == "environment" && len(s.gates) > 0:
			case n == 0:
				n = 1 // dsl rejects a stage that does nothing
			}
			for j := range n {
				step := fmt.Sprintf("s%d", j)
				for _, prev := range s.steps {
					if r.Intn(3) == 0 {
						s.stepNeed[step] = append(s.stepNeed[step], prev)
					}
				}
				s.steps = append(s.steps, step)
			}
			stages = append(stages, s)
		}
	}
	return renderGen("random", stages), stages
}

// renderGen writes stages as HCL.
func renderGen(name string, stages []genStage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pipeline %q {\n  image = \"alpine:3.20\"\n}\n\n", name)
	for _, s := range stages {
		fmt.Fprintf(&b, "%s %q {\n", s.kind, s.name)
		if s.needs != nil {
			fmt.Fprintf(&b, "  needs = [%s]\n", strings.Join(s.needs, ", "))
		}
		if len(s.requires) > 0 {
			refs := make([]string, len(s.requires))
			for i, r := range s.requires {
				refs[i] = "environment." + r
			}
			fmt.Fprintf(&b, "  requires = [%s]\n", strings.Join(refs, ", "))
		}
		if s.artifact {
			fmt.Fprintf(&b, "  artifact \"out\" {\n    path = \"dist/%s\"\n  }\n", s.name)
		}
		for _, g := range s.gates {
			fmt.Fprintf(&b, "  gate %q {\n    approvers = [\"author\"]\n  }\n", g)
		}
		for _, st := range s.steps {
			fmt.Fprintf(&b, "  step %q {\n", st)
			if n := s.stepNeed[st]; len(n) > 0 {
				refs := make([]string, len(n))
				for i, x := range n {
					refs[i] = "step." + x
				}
				fmt.Fprintf(&b, "    needs = [%s]\n", strings.Join(refs, ", "))
			}
			fmt.Fprintf(&b, "    run = \"echo %s.%s\"\n  }\n", s.addr(), st)
		}
		b.WriteString("}\n\n")
	}
	return b.String()
}

// genLarge generates a config of about steps steps in stages of 10: a
// monorepo of components, each a build, test and package stage chained by
// needs, with a chain of needs inside every stage, followed by three
// environments with gates. It is the shape of the plan benchmarks.
func genLarge(steps int) string {
	components := steps / 30
	var stages []genStage
	for c := range components {
		var prev string
		for _, kind := range []string{"build", "test", "package"} {
			s := genStage{kind: kind, name: fmt.Sprintf("c%05d", c), stepNeed: map[string][]string{}}
			if prev != "" {
				s.needs = []string{prev}
			}
			for j := range 10 {
				st := fmt.Sprintf("s%d", j)
				if j%3 != 0 {
					s.stepNeed[st] = []string{fmt.Sprintf("s%d", j-1)}
				}
				s.steps = append(s.steps, st)
			}
			prev = s.addr()
			stages = append(stages, s)
		}
	}
	envs := []string{"staging", "beta", "production"}
	for i, e := range envs {
		s := genStage{kind: "environment", name: e, steps: []string{"rollout", "smoke"},
			stepNeed: map[string][]string{"smoke": {"rollout"}}}
		if i > 0 {
			s.requires = []string{envs[i-1]}
			s.gates = []string{"approve"}
		}
		stages = append(stages, s)
	}
	return renderGen("large", stages)
}
