package engine_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
)

const frozenProduction = `
pipeline "webapp" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}

package "app" {
  step "bundle" { run = "echo bundled" }
}

environment "beta" {
  step "rollout" { run = "echo beta >> deploy.log" }
}

environment "production" {
  requires = [environment.beta]
  gate "go-live" {
    approvers = ["carol@example.com"]
  }
  step "rollout" { run = "echo production >> deploy.log" }
}

freeze "forever" {
  environments = [environment.production]
  from         = "2000-01-01T00:00:00Z"
  to           = "2100-01-01T00:00:00Z"
  reason       = "the test freeze"
}
`

// TestFreezeRefusesDeployment: a deployment into a frozen environment is
// refused with the freeze's name, reason and end; --override-freeze by
// someone who is not an approver is refused too; by an approver it
// deploys, and the override is in the audit trail. Environments the freeze
// does not cover deploy as usual.
func TestFreezeRefusesDeployment(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": frozenProduction})
	f := newFixture(t, r)
	c := ctx(t)
	_, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if !errors.Is(err, engine.ErrFrozen) || !strings.Contains(err.Error(), `frozen by freeze "forever" (the test freeze) until 2100-01-01T00:00:00Z`) {
		t.Fatalf("Run = %v; want ErrFrozen naming the freeze, its reason and end", err)
	}
	log, _ := os.ReadFile(filepath.Join(r.dir, "deploy.log"))
	if string(log) != "beta\n" {
		t.Errorf("deploy.log = %q; want beta deployed and production not", log)
	}

	f.env["PIPELINE_USER"] = "mallory@example.com"
	_, err = f.eng.Deploy(c, engine.DeployRequest{Config: r.load(), Environment: "production", Version: "1.0.1", OverrideFreeze: true})
	if !errors.Is(err, engine.ErrFrozen) || !strings.Contains(err.Error(), "--override-freeze was refused") {
		t.Fatalf("Deploy --override-freeze by mallory = %v; want the override refused", err)
	}

	f.env["PIPELINE_USER"] = "carol@example.com"
	_, err = f.eng.Deploy(c, engine.DeployRequest{Config: r.load(), Environment: "production", Version: "1.0.1", OverrideFreeze: true})
	var we *engine.WaitingError
	if !errors.As(err, &we) {
		t.Fatalf("Deploy --override-freeze by carol = %v; want it to pass the freeze and wait at the gate", err)
	}
	events, err := f.store.Audit(c, "webapp", 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range events {
		if ev.Action == "freeze_override" && ev.Actor == "carol@example.com" && strings.Contains(ev.Detail, `freeze "forever"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("audit trail has no freeze_override by carol: %+v", events)
	}
}

// TestFreezeRefusesRollback: a rollback into a frozen environment is
// refused too.
func TestFreezeRefusesRollback(t *testing.T) {
	const line = `
pipeline "webapp" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}
package "app" {
  step "bundle" { run = "echo bundled" }
}
environment "beta" {
  step "rollout" { run = "echo ${release.version} >> deploy.log" }
}
`
	r := newRepo(t, nil)
	f := newFixture(t, r)
	c := ctx(t)
	for i, cfg := range []string{line, line + "# second\n"} {
		r.commit("alice@example.com", "change", map[string]string{"pipeline.hcl": cfg})
		if _, err := f.eng.Run(c, engine.RunRequest{Config: r.load()}); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	r.commit("alice@example.com", "freeze", map[string]string{"pipeline.hcl": line + `
freeze "incident" {
  environments = [environment.beta]
  from         = "2000-01-01T00:00:00Z"
  to           = "2100-01-01T00:00:00Z"
}
`})
	_, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: engine.DeployRequest{Config: r.load(), Environment: "beta"}})
	if !errors.Is(err, engine.ErrFrozen) || !strings.Contains(err.Error(), `freeze "incident"`) {
		t.Fatalf("Rollback into frozen beta = %v; want ErrFrozen naming the freeze", err)
	}
	log, _ := os.ReadFile(filepath.Join(r.dir, "deploy.log"))
	if string(log) != "1.0.1\n1.0.2\n" {
		t.Errorf("deploy.log = %q; want no rollback deployed", log)
	}
}
