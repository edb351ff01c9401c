package engine_test

import (
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// whenFinal has environments whose final steps are skipped by their when
// conditions: one known false when planning, one found false only once
// the release exists (it reads release.artifacts).
const whenFinal = `
pipeline "whenfinal" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}

package "app" {
  step "make" { run = "mkdir -p dist && echo bin > dist/bin" }
  artifact "bin" {
    path = "dist/bin"
  }
}

environment "internal" {
  step "rollout" { run = "true" }
  step "notify" {
    needs = [step.rollout]
    when  = false
    run   = "true"
  }
}

environment "beta" {
  requires = [environment.internal]
  step "rollout" { run = "true" }
  step "notify" {
    needs = [step.rollout]
    when  = release.artifacts.bin == "nowhere"
    run   = "true"
  }
}

environment "production" {
  requires = [environment.beta]
  step "rollout" { run = "true" }
}
`

// TestWhenSkippedFinalStepCompletesDeployment checks that an environment
// whose last step is skipped because its when condition is false is
// deployed (a skipped step counts as done, as it does for its
// dependents), so the environments that require it go on; the dry run
// says the same.
func TestWhenSkippedFinalStepCompletesDeployment(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": whenFinal})
	f := newFixture(t, r)
	c := ctx(t)
	dry, err := f.eng.DryRun(c, engine.RunRequest{Config: r.load()})
	if err != nil || dry.Code() != 0 {
		t.Fatalf("DryRun = %v, code %v; want success", err, dry)
	}
	res, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if err != nil {
		t.Fatalf("Run = %v; want success", err)
	}
	for _, id := range []string{"environment.internal.notify", "environment.beta.notify"} {
		if got := res.Exec.Nodes[id].Status; got != exec.StatusSkipped {
			t.Errorf("node %s = %s; want skipped by its when", id, got)
		}
	}
	if got := res.Exec.Nodes["environment.production.rollout"].Status; got != exec.StatusSucceeded {
		t.Errorf("environment.production.rollout = %s; want succeeded", got)
	}
	if len(res.Deployments) != 3 {
		t.Fatalf("deployments = %d; want 3", len(res.Deployments))
	}
	for _, d := range res.Deployments {
		if d.Status != state.StatusSucceeded {
			t.Errorf("deployment to %s = %s (%s); want succeeded", d.Environment, d.Status, d.Reason)
		}
	}
}
