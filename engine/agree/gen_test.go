package agree_test

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/dsl"
	// Registers the -update flag that go test ./... -update passes to every package.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

// generatedConfigs is how many configs TestDryRunAgreesOnGeneratedConfigs
// makes: enough to mix every rule with every other, few enough to keep
// the test in seconds (each config is two runs in a new git repository).
const generatedConfigs = 24

// whenPool are the when conditions generated steps draw from: operators,
// functions, variables, git, run and release values, each known once the
// run has an id and a version.
var whenPool = []string{
	`var.n > 0`,
	`var.n >= 3`,
	`var.n % 2 == 0`,
	`!var.flag`,
	`var.flag`,
	`var.flag || var.n > 1`,
	`!var.flag && var.n < 3`,
	`git.branch == "main"`,
	`git.branch != "main"`,
	`git.branch == "feature"`,
	`length(var.list) > 1`,
	`contains(var.list, "b")`,
	`upper(var.name) == "X"`,
	`strlen(var.name) == 1`,
	`lookup({ x = true }, var.name, false)`,
	`max(var.n, 2) == 2`,
	`can(regex("^feat", git.branch))`,
	`contains(["main", "release"], git.branch)`,
	`var.n > 0 ? var.flag : true`,
	`format("%s-%d", var.name, var.n) == "x-2"`,
	`try(var.n > 1, false)`,
	`release.version != ""`,
	`length(run.id) > 3 && var.n != 1`,
	`startswith(release.version, "1.0.")`,
}

var branchesPool = [][]string{nil, {"main"}, {"feature"}, {"main", "feature"}, {"release/*"}, {"main", "feat*"}}

type genStep struct {
	name  string
	needs []string
	when  string
}

type genStage struct {
	kind, name string
	needs      []string // stage addresses; nil: the implicit order
	steps      []genStep
	requires   []string
	branches   []string
	gate       []string // approvers of gate "go"; nil: no gate
}

type genConfig struct {
	n      int
	flag   bool
	list   []string
	name   string
	stages []genStage
}

func (c genConfig) clone() genConfig {
	out := c
	out.list = slices.Clone(c.list)
	out.stages = make([]genStage, len(c.stages))
	for i, s := range c.stages {
		s.needs, s.requires, s.branches, s.gate = slices.Clone(s.needs), slices.Clone(s.requires), slices.Clone(s.branches), slices.Clone(s.gate)
		s.steps = slices.Clone(s.steps)
		out.stages[i] = s
	}
	return out
}

// generate makes a random config: one or two build stages, up to two test
// stages, maybe a package stage, and one to three environments with
// requires, branches and gates; steps have sibling needs and when
// conditions from whenPool.
func generate(r *rand.Rand) genConfig {
	c := genConfig{n: r.Intn(5), flag: r.Intn(2) == 0, name: []string{"x", "y"}[r.Intn(2)]}
	for _, v := range []string{"a", "b", "c"} {
		if r.Intn(2) == 0 {
			c.list = append(c.list, v)
		}
	}
	steps := func(max int) []genStep {
		var out []genStep
		for i := 0; i < 1+r.Intn(max); i++ {
			st := genStep{name: fmt.Sprintf("s%d", i+1)}
			for _, prev := range out {
				if r.Intn(3) == 0 {
					st.needs = append(st.needs, prev.name)
				}
			}
			if r.Intn(2) == 0 {
				st.when = whenPool[r.Intn(len(whenPool))]
			}
			out = append(out, st)
		}
		return out
	}
	var builds []string
	for i := 0; i < 1+r.Intn(2); i++ {
		name := fmt.Sprintf("b%d", i+1)
		builds = append(builds, "build."+name)
		c.stages = append(c.stages, genStage{kind: "build", name: name, steps: steps(3)})
	}
	for i := 0; i < r.Intn(3); i++ {
		st := genStage{kind: "test", name: fmt.Sprintf("t%d", i+1), steps: steps(2)}
		if r.Intn(2) == 0 {
			st.needs = []string{builds[r.Intn(len(builds))]}
		}
		c.stages = append(c.stages, st)
	}
	if r.Intn(2) == 0 {
		c.stages = append(c.stages, genStage{kind: "package", name: "p", steps: steps(1)})
	}
	var envs []string
	for i := 0; i < 1+r.Intn(3); i++ {
		st := genStage{kind: "environment", name: fmt.Sprintf("e%d", i+1), steps: steps(2)}
		mutateRules(r, &st, envs)
		envs = append(envs, st.name)
		c.stages = append(c.stages, st)
	}
	return c
}

// mutateRules draws the protection rules of environment st: requires from
// the environments before it, branches, and a gate.
func mutateRules(r *rand.Rand, st *genStage, before []string) {
	st.requires = nil
	for _, e := range before {
		if r.Intn(2) == 0 {
			st.requires = append(st.requires, e)
		}
	}
	st.branches = branchesPool[r.Intn(len(branchesPool))]
	st.gate = nil
	if r.Intn(3) == 0 {
		st.gate = []string{"carol@example.com"}
	}
}

// change makes the head of a generated scenario from its trusted config:
// other rules for some environments, other variable defaults, sometimes
// an environment the trusted ref does not know, or one dropped.
func change(r *rand.Rand, trusted genConfig) genConfig {
	head := trusted.clone()
	var envs []string
	for i := range head.stages {
		st := &head.stages[i]
		if st.kind != "environment" {
			continue
		}
		if r.Intn(2) == 0 {
			mutateRules(r, st, envs)
		}
		envs = append(envs, st.name)
	}
	if r.Intn(2) == 0 {
		head.n, head.flag = r.Intn(5), !head.flag
	}
	switch r.Intn(4) {
	case 0:
		st := genStage{kind: "environment", name: "extra", steps: []genStep{{name: "s1"}}}
		mutateRules(r, &st, envs)
		head.stages = append(head.stages, st)
	case 1:
		last := head.stages[len(head.stages)-1]
		if last.kind == "environment" && last.name != "e1" {
			head.stages = head.stages[:len(head.stages)-1]
			for i := range head.stages {
				head.stages[i].requires = slices.DeleteFunc(head.stages[i].requires, func(e string) bool { return e == last.name })
			}
		}
	}
	return head
}

func list(items []string, prefix string) string {
	q := make([]string, len(items))
	for i, it := range items {
		if prefix == "" {
			q[i] = fmt.Sprintf("%q", it)
		} else {
			q[i] = prefix + it
		}
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// hcl renders c as a config file.
func (c genConfig) hcl() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pipeline \"gen\" {\n  version = \"1.0.${git.commit_count}\"\n}\n\n")
	fmt.Fprintf(&b, "variable \"n\" {\n  type    = number\n  default = %d\n}\n\n", c.n)
	fmt.Fprintf(&b, "variable \"flag\" {\n  type    = bool\n  default = %t\n}\n\n", c.flag)
	fmt.Fprintf(&b, "variable \"list\" {\n  type    = list(string)\n  default = %s\n}\n\n", list(c.list, ""))
	fmt.Fprintf(&b, "variable \"name\" {\n  type    = string\n  default = %q\n}\n\n", c.name)
	for _, st := range c.stages {
		fmt.Fprintf(&b, "%s %q {\n", st.kind, st.name)
		if st.needs != nil {
			fmt.Fprintf(&b, "  needs = [%s]\n", strings.Join(st.needs, ", "))
		}
		if len(st.requires) > 0 {
			fmt.Fprintf(&b, "  requires = %s\n", list(st.requires, "environment."))
		}
		if st.branches != nil {
			fmt.Fprintf(&b, "  branches = %s\n", list(st.branches, ""))
		}
		if st.gate != nil {
			fmt.Fprintf(&b, "  gate \"go\" {\n    approvers = %s\n  }\n", list(st.gate, ""))
		}
		for _, s := range st.steps {
			fmt.Fprintf(&b, "  step %q {\n    run = \"true\"\n", s.name)
			if len(s.needs) > 0 {
				fmt.Fprintf(&b, "    needs = %s\n", list(s.needs, "step."))
			}
			if s.when != "" {
				fmt.Fprintf(&b, "    when = %s\n", s.when)
			}
			b.WriteString("  }\n")
		}
		b.WriteString("}\n\n")
	}
	return b.String()
}

// genScenario makes the scenario of one seed: a trusted config on main
// and, mostly, a change of it on branch feature, sometimes with -var n or
// --until ENV (an environment of the trusted config, which the change may
// have dropped: then both refuse the selection).
func genScenario(seed int64) scenario {
	r := rand.New(rand.NewSource(seed))
	trusted := generate(r)
	sc := scenario{name: fmt.Sprintf("seed %d", seed), trusted: map[string]string{"pipeline.hcl": trusted.hcl()}}
	if r.Intn(4) != 0 {
		if head := change(r, trusted).hcl(); head != trusted.hcl() {
			sc.head = map[string]string{"pipeline.hcl": head}
		}
	}
	if r.Intn(3) == 0 {
		sc.vars = []dsl.VarArg{{Name: "n", Value: fmt.Sprint(r.Intn(5))}}
	}
	if r.Intn(4) == 0 { // --until one of the environments the runs see
		var envs []string
		for _, st := range trusted.stages {
			if st.kind == "environment" {
				envs = append(envs, st.name)
			}
		}
		sc.until = envs[r.Intn(len(envs))]
	}
	return sc
}

// TestDryRunAgreesOnGeneratedConfigs runs generated configs (random DAGs,
// when conditions with operators and functions, gates, requires, branches,
// and a trusted ref that differs from the head) as a dry run and as a real
// run and requires the same fate for every node and the same exit code.
// The seeds are fixed, so a failure names a config that can be rerun.
func TestDryRunAgreesOnGeneratedConfigs(t *testing.T) {
	codes := map[int]int{}
	outcomes := make([]outcome, generatedConfigs)
	t.Run("seeds", func(t *testing.T) {
		for seed := int64(1); seed <= generatedConfigs; seed++ {
			sc := genScenario(seed)
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				outcomes[seed-1] = check(t, sc)
			})
		}
	})
	for _, o := range outcomes {
		codes[o.code]++
	}
	// The generator must reach every outcome a run can have, or the
	// agreement proves less than it claims.
	for _, code := range []int{0, 1, 3} {
		if codes[code] == 0 {
			t.Errorf("no generated config ended with exit code %d (codes: %v); widen the generator", code, codes)
		}
	}
}
