package engine_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
)

// trustedRulesMain is the reviewed config on main: staging only for
// releases built from main, production behind a gate.
const trustedRulesMain = `
pipeline "rules" {
  version = "1.0.${git.commit_count}"
}

build "app" {
  step "compile" {
    runner = "local"
    run    = "echo built"
  }
}

environment "staging" {
  branches = ["main"]
  step "rollout" {
    runner = "local"
    run    = "echo staging"
  }
}

environment "production" {
  gate "go-live" {
    approvers = ["carol@example.com"]
  }
  step "rollout" {
    runner = "local"
    run    = "echo production"
  }
}
`

// TestDryRunAndPlanApplyTrustedRules checks that on a branch whose config
// drops the gate and the branches rule, Plan, DryRun and Run all apply the
// rules of the trusted ref: the same warnings, staging refused for the
// same reason, production stopped at the trusted gate, the same exit code.
func TestDryRunAndPlanApplyTrustedRules(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "rules", map[string]string{"pipeline.hcl": trustedRulesMain})
	r.git("checkout", "-q", "-b", "feature")
	head := strings.Replace(trustedRulesMain, `  branches = ["main"]`+"\n", "", 1)
	head = strings.Replace(head, "  gate \"go-live\" {\n    approvers = [\"carol@example.com\"]\n  }\n", "", 1)
	r.commit("bob@example.com", "drop the rules", map[string]string{"pipeline.hcl": head})
	f := newFixture(t, r)
	c := ctx(t)

	pl, err := f.eng.Plan(engine.RunRequest{Config: r.load()})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	dry, err := f.eng.DryRun(c, engine.RunRequest{Config: r.load()})
	if err != nil {
		t.Fatalf("DryRun: %v", err)
	}
	res, runErr := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if res == nil {
		t.Fatalf("Run: %v", runErr)
	}

	if pl.TrustedRef != "main" || dry.TrustedRef != "main" {
		t.Errorf("trusted ref: Plan %q, DryRun %q; want main for both", pl.TrustedRef, dry.TrustedRef)
	}
	if got, want := strings.Join(dry.Warnings, "\n"), strings.Join(res.Warnings, "\n"); got != want || want == "" {
		t.Errorf("DryRun warnings = %q; want the run's %q (not empty)", got, want)
	}
	if got, want := strings.Join(pl.Warnings, "\n"), strings.Join(res.Warnings, "\n"); got != want {
		t.Errorf("Plan warnings = %q; want the run's %q", got, want)
	}
	if pl.Plan.Node("environment.production.gate.go-live") == nil {
		t.Errorf("Plan has no node environment.production.gate.go-live; want the trusted gate planned")
	}
	if got := pl.Refused["staging"]; !strings.Contains(got, "accepts releases built from main") {
		t.Errorf("Plan.Refused[staging] = %q; want the branches refusal", got)
	}
	if _, ok := pl.Refused["production"]; ok {
		t.Errorf("Plan.Refused[production] = %q; want production not refused", pl.Refused["production"])
	}
	for _, id := range []string{"build.app.compile", "environment.staging", "environment.staging.rollout",
		"environment.production", "environment.production.gate.go-live", "environment.production.rollout"} {
		d, r := dry.Exec.Nodes[id], res.Exec.Nodes[id]
		if d == nil || r == nil {
			t.Errorf("node %s: dry run %v, run %v; want both", id, d, r)
			continue
		}
		if d.Status != r.Status {
			t.Errorf("node %s: dry run %s (%s), run %s (%s); want the same fate", id, d.Status, d.Reason, r.Status, r.Reason)
		}
	}
	if got := dry.Exec.Nodes["environment.staging"]; got.Status != exec.StatusFailed || got.Reason != res.Exec.Nodes["environment.staging"].Reason {
		t.Errorf("dry run environment.staging = %s (%q); want failed with the run's reason %q", got.Status, got.Reason, res.Exec.Nodes["environment.staging"].Reason)
	}
	if dry.Code() != exitCode(runErr) || dry.Code() != 1 {
		t.Errorf("DryRun code %d, Run code %d; want 1 for both", dry.Code(), exitCode(runErr))
	}
}

// TestLocalStepsNeedNoDefaultRunner runs a config whose steps all say
// runner = "local" on an engine without the default (Docker) runner.
func TestLocalStepsNeedNoDefaultRunner(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "local", map[string]string{"pipeline.hcl": `
pipeline "local" {}
build "app" {
  step "compile" {
    runner = "local"
    run    = "echo built"
  }
}
`})
	f := &fixture{repo: r, store: memory.New(), env: map[string]string{}}
	f.eng = engine.New(engine.Options{Store: f.store, Runners: f.runners(), ArtifactDir: f.artifacts(), Logger: hclog.NewNullLogger()})
	res, err := f.eng.Run(ctx(t), engine.RunRequest{Config: r.load()})
	if err != nil {
		t.Fatalf("Run without a docker runner = %v; want success (every step is local)", err)
	}
	if got := res.Exec.Nodes["build.app.compile"].Status; got != exec.StatusSucceeded {
		t.Errorf("build.app.compile = %s; want succeeded", got)
	}

	r.commit("alice@example.com", "docker step", map[string]string{"pipeline.hcl": `
pipeline "local" {}
build "app" {
  step "compile" {
    image = "busybox"
    run   = "echo built"
  }
}
`})
	_, err = f.eng.Run(ctx(t), engine.RunRequest{Config: r.load()})
	if exitCode(err) != 2 || !strings.Contains(err.Error(), `runner "docker" is not available`) {
		t.Errorf("Run of a step without runner = %v (code %d); want code 2, runner \"docker\" is not available", err, exitCode(err))
	}
}
