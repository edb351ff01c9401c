package dsl

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// A step hands values to later steps by appending KEY=VALUE lines to the
// file named by $PIPELINE_OUTPUT; steps that depend on it read them as
// step.NAME.outputs.KEY (same stage) or KIND.STAGE.step.NAME.outputs.KEY
// (another stage). The engine passes the outputs of finished steps in
// Scope.Outputs; until a step has finished, its outputs are unknown.

// outputRef is a reference to a step's output found in an expression.
type outputRef struct {
	stage *Stage // the stage of the referenced step
	step  string // the referenced step's name
	key   string
	rng   hcl.Range
}

// stepExprs returns the run-time expressions of a step.
func stepExprs(st *Step) []hcl.Expression {
	var out []hcl.Expression
	for _, e := range []hcl.Expression{st.Run, st.Command, st.Image, st.Env, st.Workdir, st.When} {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// isOutputRoot reports whether root names a namespace that reads step
// outputs.
func isOutputRoot(root string) bool { return root == "step" || isStageKind(root) }

// outputRefs decodes the output references of expr, made from stage s.
func (l *loader) outputRefs(s *Stage, expr hcl.Expression) ([]outputRef, hcl.Diagnostics) {
	var refs []outputRef
	var diags hcl.Diagnostics
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		if !isOutputRoot(root) {
			continue
		}
		parts := make([]string, 0, len(tr))
		parts = append(parts, root)
		for _, t := range tr[1:] {
			name, ok := traversalStep(t)
			if !ok {
				break
			}
			parts = append(parts, name)
		}
		form := "step.NAME.outputs.KEY"
		stage, rest := s, parts[1:]
		if root != "step" {
			form = "KIND.STAGE.step.NAME.outputs.KEY"
			if len(parts) < 3 || parts[2] != "step" {
				rest = nil
			} else {
				stage = l.cfg.Stage(StageKind(root), parts[1])
				if stage == nil {
					diags = append(diags, undeclared("Stage", root+"."+parts[1], root+"."+parts[1], keysOf(l.eval.stages), tr.SourceRange(),
						fmt.Sprintf("Declare a %s %q block, or fix the reference.", root, parts[1])))
					continue
				}
				rest = parts[3:]
			}
		}
		if len(rest) < 3 || rest[1] != "outputs" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid Output Reference",
				Detail:   fmt.Sprintf("%s is not a reference to a step output. Write %s, for example step.compile.outputs.sha or build.webapp.step.compile.outputs.sha.", strings.Join(parts, "."), form),
				Subject:  tr.SourceRange().Ptr(),
			})
			continue
		}
		refs = append(refs, outputRef{stage: stage, step: rest[0], key: rest[2], rng: tr.SourceRange()})
	}
	return refs, diags
}

// checkOutputRefs checks every output reference of every step: the step
// must exist and be a dependency of the step that reads it (a step it
// needs, directly or not, in its own stage; or any step of a stage its
// stage waits for, directly or not).
func (l *loader) checkOutputRefs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	upstream := l.stageUpstream()
	for _, s := range l.cfg.Stages {
		byName := make(map[string]*Step, len(s.Steps))
		for _, st := range s.Steps {
			byName[st.Name] = st
		}
		for _, st := range s.Steps {
			var before map[string]bool
			for _, expr := range stepExprs(st) {
				for _, tr := range expr.Variables() {
					if isOutputRoot(tr.RootName()) {
						st.readsOutputs = true
					}
				}
				refs, d := l.outputRefs(s, expr)
				for _, r := range refs {
					l.eval.noteOutputKey(r.stage.Address()+"."+r.step, r.key)
					if r.stage == s && before == nil {
						before = stepClosure(byName, st)
					}
					d = append(d, l.checkOutputRef(s, st, r, before, upstream)...)
				}
				if d.HasErrors() {
					// Evaluating the step would only report the same
					// reference again, less clearly.
					l.badOutputs[st] = true
				}
				diags = append(diags, d...)
			}
		}
	}
	return diags
}

func (l *loader) checkOutputRef(s *Stage, st *Step, r outputRef, before map[string]bool, upstream func(*Stage) map[*Stage]bool) hcl.Diagnostics {
	var target *Step
	var blocks []string
	for _, cand := range r.stage.Steps {
		if cand.Name == r.step {
			target = cand
		}
		if cand.Block == r.step && len(cand.Matrix) > 0 {
			blocks = append(blocks, cand.Name)
		}
	}
	addr := r.stage.Address() + "." + r.step
	switch {
	case target == nil && len(blocks) > 0:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Ambiguous Matrix Output",
			Detail: fmt.Sprintf("%s is a matrix step with %d combinations, each with its own outputs. Name one combination, for example step[%q].outputs.%s.",
				addr, len(blocks), blocks[0], r.key),
			Subject: r.rng.Ptr(),
		}}
	case target == nil:
		var names []string
		for _, cand := range r.stage.Steps {
			names = append(names, cand.Name)
		}
		return hcl.Diagnostics{undeclared("Step", addr, r.step, names, r.rng,
			fmt.Sprintf("Only steps of %s have outputs there; declare step %q, or fix the name.", r.stage.Address(), r.step))}
	case r.stage == s && target == st:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Output Read Before It Is Written",
			Detail:   fmt.Sprintf("Step %s reads its own output %s, which it only writes while it runs. Read it in a later step that needs this one.", addr, r.key),
			Subject:  r.rng.Ptr(),
		}}
	case r.stage == s && !before[target.Name]:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Output of a Step That Is Not a Dependency",
			Detail: fmt.Sprintf("Step %s.%s reads an output of step %s, but does not wait for it, so the value would not exist yet. Add step.%s to its needs.",
				s.Address(), st.Name, target.Name, target.Block),
			Subject: r.rng.Ptr(),
		}}
	case r.stage != s && !upstream(s)[r.stage]:
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Output of a Step That Is Not a Dependency",
			Detail: fmt.Sprintf("Step %s.%s reads an output of %s, but %s does not wait for %s, so the value would not exist yet. Add %s to the needs of %s, or read the output from a later stage.",
				s.Address(), st.Name, addr, s.Address(), r.stage.Address(), r.stage.Address(), s.Address()),
			Subject: r.rng.Ptr(),
		}}
	}
	return nil
}

// stepClosure returns the names of the sibling steps st waits for,
// directly or not.
func stepClosure(byName map[string]*Step, st *Step) map[string]bool {
	seen := map[string]bool{}
	queue := append([]string(nil), st.Needs...)
	for len(queue) > 0 {
		n := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if seen[n] || byName[n] == nil {
			continue
		}
		seen[n] = true
		queue = append(queue, byName[n].Needs...)
	}
	return seen
}

// stageUpstream returns a function that gives, for a stage, the stages it
// waits for directly or not: its needs (or, without needs, every stage of
// the nearest earlier kind that has stages) and, for an environment, the
// environments it requires and every package stage. Each stage's set is
// computed when first asked for: only stages that read another stage's
// outputs need one, and computing all of them costs the square of the
// number of stages.
func (l *loader) stageUpstream() func(*Stage) map[*Stage]bool {
	stages := l.cfg.Stages
	byKind := map[StageKind][]*Stage{}
	for _, s := range stages {
		byKind[s.Kind] = append(byKind[s.Kind], s)
	}
	direct := func(s *Stage) []*Stage {
		var out []*Stage
		if s.NeedsSet {
			for _, n := range s.Needs {
				if t := l.cfg.Stage(n.Kind, n.Name); t != nil {
					out = append(out, t)
				}
			}
		} else {
			rank := 0
			for i, k := range StageKinds {
				if k == s.Kind {
					rank = i
				}
			}
			for r := rank - 1; r >= 0; r-- {
				if prev := byKind[StageKinds[r]]; len(prev) > 0 {
					out = append(out, prev...)
					break
				}
			}
		}
		if s.Kind == KindEnvironment {
			for _, r := range s.Requires {
				if t := l.cfg.Stage(KindEnvironment, r); t != nil {
					out = append(out, t)
				}
			}
			out = append(out, byKind[KindPackage]...)
		}
		return out
	}
	memo := map[*Stage]map[*Stage]bool{}
	return func(s *Stage) map[*Stage]bool {
		if seen, ok := memo[s]; ok {
			return seen
		}
		seen := map[*Stage]bool{}
		queue := direct(s)
		for len(queue) > 0 {
			t := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if seen[t] || t == s {
				continue
			}
			seen[t] = true
			queue = append(queue, direct(t)...)
		}
		memo[s] = seen
		return seen
	}
}

// noteOutputKey records that the config reads output key of the step
// with node ID id.
func (e *evaluator) noteOutputKey(id, key string) {
	if e.outputKeys == nil {
		e.outputKeys = map[string][]string{}
	}
	if !contains(e.outputKeys[id], key) {
		e.outputKeys[id] = append(e.outputKeys[id], key)
	}
}

// outputsContext returns a child of ctx holding step.* (the steps of
// stage) and KIND.* (every stage) with the outputs known in outputs. The
// outputs of a step not in it are unknown (it has not finished); a key
// that a finished step did not write reads as "", as in GitHub Actions.
func (c *Config) outputsContext(ctx *hcl.EvalContext, stage *Stage, outputs map[string]map[string]string) *hcl.EvalContext {
	stepsOf := func(s *Stage) cty.Value {
		attrs := make(map[string]cty.Value, len(s.Steps))
		for _, st := range s.Steps {
			out := cty.DynamicVal
			id := s.Address() + "." + st.Name
			if m, ok := outputs[id]; ok {
				vals := make(map[string]cty.Value, len(m))
				for _, k := range c.eval.outputKeys[id] {
					vals[k] = cty.StringVal("")
				}
				for k, v := range m {
					vals[k] = cty.StringVal(v)
				}
				out = cty.ObjectVal(vals)
			}
			attrs[st.Name] = cty.ObjectVal(map[string]cty.Value{"outputs": out})
		}
		return cty.ObjectVal(attrs)
	}
	vars := map[string]cty.Value{}
	if stage != nil {
		vars["step"] = stepsOf(stage)
	}
	kinds := map[StageKind]map[string]cty.Value{}
	for _, s := range c.Stages {
		if kinds[s.Kind] == nil {
			kinds[s.Kind] = map[string]cty.Value{}
		}
		kinds[s.Kind][s.Name] = cty.ObjectVal(map[string]cty.Value{"step": stepsOf(s)})
	}
	for k, m := range kinds {
		vars[string(k)] = cty.ObjectVal(m)
	}
	child := ctx.NewChild()
	child.Variables = vars
	return child
}
