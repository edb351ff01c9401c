package dsl

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// The outputs of package steps are stored on the release; environments
// read them as release.outputs.STEP.KEY, on a rollback too.

// declarePackageSteps records the step names of package stages and the
// keys the config reads of them, for checkReleaseOutput and
// releaseOutputs.
func (l *loader) declarePackageSteps() {
	e := l.eval
	for _, s := range l.cfg.Stages {
		if s.Kind != KindPackage {
			continue
		}
		for _, st := range s.Steps {
			if !contains(e.packageSteps, st.Name) {
				e.packageSteps = append(e.packageSteps, st.Name)
			}
		}
	}
	sort.Strings(e.packageSteps)
	e.releaseKeys = map[string][]string{}
	for _, s := range l.cfg.Stages {
		for _, st := range s.Steps {
			for _, expr := range stepExprs(st) {
				for _, tr := range expr.Variables() {
					if step, key, ok := releaseOutputRef(tr); ok && !contains(e.releaseKeys[step], key) {
						e.releaseKeys[step] = append(e.releaseKeys[step], key)
					}
				}
			}
		}
	}
}

// releaseOutputRef decodes release.outputs.STEP.KEY.
func releaseOutputRef(tr hcl.Traversal) (step, key string, ok bool) {
	if tr.RootName() != "release" || len(tr) < 4 {
		return "", "", false
	}
	if n, ok := traversalStep(tr[1]); !ok || n != "outputs" {
		return "", "", false
	}
	step, ok1 := traversalStep(tr[2])
	key, ok2 := traversalStep(tr[3])
	return step, key, ok1 && ok2
}

// checkReleaseOutput checks a reference below release.outputs.
func (e *evaluator) checkReleaseOutput(tr hcl.Traversal) *hcl.Diagnostic {
	step, _, ok := releaseOutputRef(tr)
	if !ok {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid Output Reference",
			Detail:   "Write release.outputs.STEP.KEY: the output KEY of the package step STEP, for example release.outputs.bundle.sha.",
			Subject:  tr.SourceRange().Ptr(),
		}
	}
	if e.releaseKeys != nil && !contains(e.packageSteps, step) {
		return undeclared("Step", "release.outputs."+step, step, e.packageSteps, tr.SourceRange(),
			fmt.Sprintf("release.outputs holds the outputs of the steps of package stages; declare step %q in a package stage, or fix the name.", step))
	}
	return nil
}

// releaseOutputs returns the release.outputs object: unknown until the
// release exists; then every package step's outputs, a key it did not
// write reading as "".
func (e *evaluator) releaseOutputs(r *ReleaseValues) cty.Value {
	if r == nil || r.Outputs == nil {
		return cty.DynamicVal
	}
	steps := make(map[string]cty.Value, len(e.packageSteps))
	for _, name := range e.packageSteps {
		vals := map[string]cty.Value{}
		for _, k := range e.releaseKeys[name] {
			vals[k] = cty.StringVal("")
		}
		for k, v := range r.Outputs[name] {
			vals[k] = cty.StringVal(v)
		}
		steps[name] = cty.ObjectVal(vals)
	}
	return cty.ObjectVal(steps)
}
