package dsl

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// resolve checks every reference between blocks and looks for cycles.
func (l *loader) resolve() hcl.Diagnostics {
	var diags hcl.Diagnostics
	cfg := l.cfg
	index := make(map[string]int, len(cfg.Stages))
	envNames := map[string]bool{}
	l.eval.stages = make(map[string]*Stage, len(cfg.Stages))
	for i, s := range cfg.Stages {
		index[s.Address()] = i
		l.eval.stages[s.Address()] = s
		if s.Kind == KindEnvironment {
			envNames[s.Name] = true
		}
	}
	stageAddrs := func() []string { return keysOf(index) }

	for _, s := range cfg.Stages {
		kept := s.Needs[:0]
		for _, r := range s.Needs {
			if _, ok := index[r.Address()]; !ok {
				diags = append(diags, undeclared("Stage", r.Address(), r.Address(), stageAddrs(), r.Range,
					fmt.Sprintf("Declare a %s %q block, or fix the reference.", r.Kind, r.Name)))
				continue
			}
			kept = append(kept, r)
		}
		s.Needs = kept
		for i, name := range s.Requires {
			if !envNames[name] {
				diags = append(diags, undeclared("Environment", "environment."+name, name, keysOf(envNames),
					l.refRanges[refKey{stage: s, attr: "requires", i: i}],
					fmt.Sprintf("Declare an environment %q block, or fix the reference.", name)))
			}
		}
		diags = append(diags, l.resolveSteps(s)...)
	}
	diags = append(diags, l.resolveSecretScopes(envNames)...)
	for _, g := range l.gateGroups {
		if cfg.Groups[g.name] == nil {
			diags = append(diags, undeclared("Group", "group:"+g.name, g.name, keysOf(cfg.Groups), g.rng,
				fmt.Sprintf("Declare it with a group %q block listing its members, or fix the name.", g.name)))
		}
	}
	diags = append(diags, signedGates(cfg)...)
	diags = append(diags, l.stageCycles(index)...)
	diags = append(diags, l.requiresCycles()...)
	diags = append(diags, l.checkOutputRefs()...)
	diags = append(diags, l.resolveFreezes(envNames)...)
	l.declarePackageSteps()
	return diags
}

// resolveSteps checks the step references of one stage, the step images,
// and looks for needs cycles among the steps.
func (l *loader) resolveSteps(s *Stage) hcl.Diagnostics {
	var diags hcl.Diagnostics
	index := make(map[string]int, len(s.Steps))
	// blocks maps a step block name to the steps it became: one, or one
	// per matrix combination.
	blocks := make(map[string][]int, len(s.Steps))
	for i, st := range s.Steps {
		index[st.Name] = i
		blocks[st.Block] = append(blocks[st.Block], i)
	}
	g := newGraph(len(s.Steps))
	for i, st := range s.Steps {
		// needs = [step.go-test] on a matrix step waits for every
		// combination: the names are rewritten to the combinations'.
		var needs []string
		for j, name := range st.Needs {
			rng := l.refRanges[refKey{step: st, attr: "needs", i: j}]
			targets, ok := blocks[name]
			if !ok {
				diags = append(diags, undeclared("Step", "step."+name, name, keysOf(blocks), rng,
					fmt.Sprintf("A step can only wait for steps of its own stage (%s). Declare step %q there, or fix the name.", s.Address(), name)))
				continue
			}
			for _, target := range targets {
				l.refRanges[refKey{step: st, attr: "needs", i: len(needs)}] = rng
				needs = append(needs, s.Steps[target].Name)
				g.connect(i, target, &rng)
			}
		}
		if len(needs) > 0 || len(st.Needs) > 0 {
			st.Needs = needs
		}
		for j, name := range st.Secrets {
			rng := l.refRanges[refKey{step: st, attr: "secrets", i: j}]
			sec := l.cfg.Secrets[name]
			if sec == nil {
				diags = append(diags, undeclared("Secret", "secret."+name, name, keysOf(l.cfg.Secrets), rng,
					fmt.Sprintf("Declare it with a secret %q block naming the environment variable that holds it, or fix the name.", name)))
				continue
			}
			if !sec.Allows(s.Kind, s.Name) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Secret Outside Its Scope",
					Detail: fmt.Sprintf("Step %q of %s lists secret.%s, but secret %q may only be given to the steps of %s (its environments, declared at %s). "+
						"Remove the secret from this step, or move the step into one of those environments.",
						st.Name, s.Address(), name, name, ScopeText(sec.Environments), declaredAt(sec.DeclRange)),
					Subject: rng.Ptr(),
				})
			}
		}
		diags = append(diags, l.resolveImageRef(s, st)...)
		if st.Image == nil && st.ImageRef == "" && st.Runner != "local" && l.cfg.Pipeline != nil && l.cfg.Pipeline.Image == "" && !l.pipelineImageBroken {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing Step Image",
				Detail: fmt.Sprintf("Step %q of %s has no image and the pipeline block sets no default image. Set image = \"...\" on the step, image on the pipeline block, or runner = \"local\" to run it on the host.",
					st.Name, s.Address()),
				Subject: st.DeclRange.Ptr(),
			})
		}
	}
	for _, c := range g.cycles(func(int) bool { return true }) {
		names := make([]string, 0, len(c.edges)+1)
		for _, e := range c.edges {
			names = append(names, "step."+s.Steps[e.from].Name)
		}
		names = append(names, names[0])
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Dependency Cycle Between Steps",
			Detail: fmt.Sprintf("In %s, the steps %s wait for each other, so none of them can start.%s Remove one of the needs references.",
				s.Address(), strings.Join(names, " -> "), alsoIn(c, func(v int) string { return "step." + s.Steps[v].Name })),
			Subject: c.edges[0].where,
		})
	}
	return diags
}

// stageCycles looks for needs cycles among stages, counting the implicit
// order: a stage without needs waits for every stage of the nearest earlier
// kind that has stages. That order goes through one barrier vertex per kind
// so the graph stays linear in size.
func (l *loader) stageCycles(index map[string]int) hcl.Diagnostics {
	stages := l.cfg.Stages
	g := newGraph(len(stages))
	barrier := map[StageKind]int{}
	for _, k := range StageKinds {
		barrier[k] = g.addVertex()
	}
	present := map[StageKind]bool{}
	for i, s := range stages {
		present[s.Kind] = true
		g.connect(barrier[s.Kind], i, nil)
	}
	previous := func(k StageKind) (StageKind, bool) {
		for i := len(StageKinds) - 1; i >= 0; i-- {
			if StageKinds[i] != k {
				continue
			}
			for j := i - 1; j >= 0; j-- {
				if present[StageKinds[j]] {
					return StageKinds[j], true
				}
			}
		}
		return "", false
	}
	for i, s := range stages {
		if !s.NeedsSet {
			if pk, ok := previous(s.Kind); ok {
				g.connect(i, barrier[pk], nil)
			}
			continue
		}
		for _, r := range s.Needs {
			rng := r.Range
			g.connect(i, index[r.Address()], &rng)
		}
	}
	var diags hcl.Diagnostics
	real := func(v int) bool { return v < len(stages) }
	for _, c := range g.cycles(real) {
		var names []string
		var subject *hcl.Range
		for _, e := range c.edges {
			if real(e.from) {
				names = append(names, stages[e.from].Address())
			}
			if subject == nil && e.where != nil {
				subject = e.where
			}
		}
		names = append(names, names[0])
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Dependency Cycle Between Stages",
			Detail: fmt.Sprintf("The stages %s wait for each other, so none of them can start.%s Remove one of the needs references; "+
				"remember that a stage without needs waits for every stage of the previous kind (build, then test, then package, then environment).",
				strings.Join(names, " -> "), alsoIn(c, func(v int) string { return stages[v].Address() })),
			Subject: subject,
		})
	}
	return diags
}

// requiresCycles looks for cycles in the promotion rules between
// environments.
func (l *loader) requiresCycles() hcl.Diagnostics {
	envs := l.cfg.Environments()
	index := make(map[string]int, len(envs))
	for i, s := range envs {
		index[s.Name] = i
	}
	g := newGraph(len(envs))
	for i, s := range envs {
		for j, name := range s.Requires {
			if t, ok := index[name]; ok {
				rng := l.refRanges[refKey{stage: s, attr: "requires", i: j}]
				g.connect(i, t, &rng)
			}
		}
	}
	var diags hcl.Diagnostics
	for _, c := range g.cycles(func(int) bool { return true }) {
		names := make([]string, 0, len(c.edges)+1)
		for _, e := range c.edges {
			names = append(names, envs[e.from].Address())
		}
		names = append(names, names[0])
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cycle in Environment Requirements",
			Detail: fmt.Sprintf("The environments %s each require the other first, so no release could ever reach them.%s Remove one of the requires references.",
				strings.Join(names, " -> "), alsoIn(c, func(v int) string { return envs[v].Address() })),
			Subject: c.edges[0].where,
		})
	}
	return diags
}

// checkRuntimeExprs evaluates every run-time expression with run.* and
// release.* unknown, so that wrong types and bad references are found by
// validate rather than in the middle of a run.
func (l *loader) checkRuntimeExprs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	cfg := l.cfg
	ctx := l.eval.runtimeContext(Scope{})
	l.eval.zeroCtx = ctx
	n := 0
	for _, s := range cfg.Stages {
		n += len(s.Steps)
	}
	l.eval.zeroSteps = make(map[*Step]*StepValues, n)
	if cfg.Pipeline != nil && cfg.Pipeline.Version != nil {
		_, d := l.eval.text(cfg.Pipeline.Version, ctx, "version")
		diags = append(diags, d...)
	}
	for _, s := range cfg.Stages {
		for _, st := range s.Steps {
			if l.badOutputs[st] {
				continue
			}
			sv, d := cfg.evalStep(s, st, ctx, nil)
			if len(d) == 0 {
				l.eval.zeroSteps[st] = sv
				d = l.checkStepPaths(st, sv)
			}
			diags = append(diags, d...)
		}
		for _, a := range s.Artifacts {
			if a.Path != nil {
				t, d := l.eval.text(a.Path, ctx, "path")
				if !d.HasErrors() {
					d = append(d, l.checkPackagePath(a.Path, t, fmt.Sprintf("path of artifact %q", a.Name))...)
				}
				diags = append(diags, d...)
			}
		}
		for _, img := range s.Images {
			for i, expr := range []hcl.Expression{img.Context, img.Dockerfile} {
				if expr != nil {
					t, d := l.eval.text(expr, ctx, "image attribute")
					if !d.HasErrors() {
						what := fmt.Sprintf("%s of image %q", []string{"context", "dockerfile"}[i], img.Name)
						if i == 1 {
							// The dockerfile is relative to the context.
							ct, _ := l.eval.text(img.Context, ctx, "image attribute")
							if ct.Known {
								t.Value = path.Join(filepath.ToSlash(ct.Value), filepath.ToSlash(t.Value))
							}
						}
						d = append(d, l.checkPackagePath(expr, t, what)...)
					}
					diags = append(diags, d...)
				}
			}
		}
	}
	diags = append(diags, l.checkGateWhens()...)
	for _, n := range cfg.Notifies {
		if n.Webhook != nil {
			_, d := l.eval.text(n.Webhook, ctx, "webhook")
			diags = append(diags, d...)
		}
	}
	return diags
}

// resolveSecretScopes checks that the environments of every secret's
// environments attribute are declared.
func (l *loader) resolveSecretScopes(envNames map[string]bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range keysOf(l.cfg.Secrets) {
		sec := l.cfg.Secrets[name]
		for i, env := range sec.Environments {
			if envNames[env] {
				continue
			}
			var rng hcl.Range
			if rs := l.secretScopeRanges[sec]; i < len(rs) {
				rng = rs[i]
			}
			diags = append(diags, undeclared("Environment", "environment."+env, env, keysOf(envNames), rng,
				fmt.Sprintf("Declare an environment %q block, or fix the reference in the environments of secret %q.", env, name)))
		}
	}
	return diags
}

// ScopeText renders a secret's environments for messages:
// "environment production" or "environments beta and production".
func ScopeText(envs []string) string {
	switch len(envs) {
	case 0:
		return "no environment"
	case 1:
		return "environment " + envs[0]
	}
	return "environments " + strings.Join(envs[:len(envs)-1], ", ") + " and " + envs[len(envs)-1]
}

// declaredAt renders where a block was declared: "FILE:LINE".
func declaredAt(rng hcl.Range) string {
	return fmt.Sprintf("%s:%d", rng.Filename, rng.Start.Line)
}

// FirstError renders the first error of diags for a one-line message,
// "FILE:LINE,COL-COL: Summary"; "errors" when it has none.
func FirstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			if d.Subject != nil {
				return d.Subject.String() + ": " + d.Summary
			}
			return d.Summary
		}
	}
	return "errors"
}
