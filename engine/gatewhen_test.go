package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
)

const conditionalGates = `
pipeline "webapp" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}

build "app" {
  step "compile" { run = "echo built" }
}

environment "beta" {
  gate "release-branch-only" {
    when      = release.branch == "release"
    approvers = ["dave@example.com"]
  }
  step "rollout" { run = "echo beta >> deploy.log" }
}

environment "production" {
  requires = [environment.beta]
  gate "go-live" {
    when      = release.branch == "main"
    approvers = ["carol@example.com"]
  }
  step "rollout" { run = "echo production >> deploy.log" }
}
`

// TestConditionalGate: a gate whose when is false for the release is
// recorded as not required, with the reason in the node and the audit
// trail, and the deployment goes on without an approval; a gate whose
// when is true waits as usual.
func TestConditionalGate(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": conditionalGates})
	f := newFixture(t, r)
	c := ctx(t)
	res, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	var we *engine.WaitingError
	if !errors.As(err, &we) || len(we.Gates) != 1 || we.Gates[0].Gate != "go-live" {
		t.Fatalf("Run = %v; want waiting at production's go-live only", err)
	}
	h, err := f.eng.History(c, "webapp", "beta", 0)
	if err != nil || len(h.Deployments) != 1 || h.Deployments[0].Status != state.StatusSucceeded || len(h.Deployments[0].ApprovedBy) != 0 {
		t.Errorf("History(beta) = %+v, %v; want one succeeded deployment that nobody approved", h, err)
	}
	assertDeployments(t, f, "production", "")
	g, err := f.store.GetGate(c, res.Run.ID, "beta/release-branch-only")
	if err != nil || g.Status != "not_required" {
		t.Errorf("GetGate(beta/release-branch-only) = %+v, %v; want status not_required", g, err)
	}
	nodes, err := f.store.Nodes(c, res.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	var reason string
	for _, n := range nodes {
		if n.NodeID == "environment.beta.gate.release-branch-only" {
			reason = n.Status + ": " + n.Reason
		}
	}
	if want := `succeeded: not required: gate release-branch-only not required: its when (release.branch == "release") is false`; reason != want {
		t.Errorf("gate node = %q; want %q", reason, want)
	}
	events, err := f.store.Audit(c, "webapp", 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range events {
		if ev.Action == "gate_not_required" && strings.Contains(ev.Detail, "from branch main") {
			found = true
		}
	}
	if !found {
		t.Errorf("audit trail = %+v; want a gate_not_required event naming the branch", events)
	}
}
