package e2e

import (
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/view"
)

const webapp = `
pipeline "webapp" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}

group "release-managers" {
  members = ["carol@example.com"]
}

build "app" {
  step "compile" {
    run = "mkdir -p dist counts && cp src.txt dist/app && echo x >> counts/compile"
  }
}

test "unit" {
  step "check" { run = "test -s dist/app" }
}

package "app" {
  artifact "bin" { path = "dist/app" }
}

environment "internal" {
  step "rollout" { run = "mkdir -p deployed && cp ${release.artifacts.bin} deployed/internal" }
}

environment "beta" {
  requires = [environment.internal]
  step "rollout" { run = "mkdir -p deployed && cp ${release.artifacts.bin} deployed/beta" }
}

environment "production" {
  requires = [environment.beta]
  branches = ["main"]
  gate "go-live" {
    approvers             = ["group:release-managers", "author"]
    prevent_self_approval = true
  }
  step "rollout" { run = "mkdir -p deployed && cp ${release.artifacts.bin} deployed/production" }
  step "smoke" {
    needs = [step.rollout]
    run   = "grep -q good deployed/production"
  }
}
`

// deliver runs the pipeline for HEAD through the production gate: run
// (exit 3 with the approve command), approve as carol, resume.
func deliver(t *testing.T, r *repo, wantResume int) string {
	t.Helper()
	res := r.must(3, nil, "run", "--runner", "local", "--plain")
	id := runID(t, res.stdout)
	if want := "pipeline approve " + id + " go-live"; !strings.Contains(res.stdout, want) {
		t.Fatalf("run output does not print %q:\n%s", want, res.stdout)
	}
	r.must(0, []string{"PIPELINE_USER=carol@example.com"}, "approve", id, "go-live", "--comment", "looks good")
	r.must(wantResume, nil, "resume", id, "--runner", "local", "--plain")
	return id
}

func TestDeliveryAndRollback(t *testing.T) {
	r := newRepo(t)
	c1 := r.commit("first", map[string]string{"pipeline.hcl": webapp, "src.txt": "good 1\n"})
	deliver(t, r, 0)

	c2 := r.commit("second", map[string]string{"src.txt": "good 2\n"})
	c3 := r.commit("third", map[string]string{"src.txt": "good 3\n"})
	id := r.must(3, nil, "run", "--runner", "local", "--plain")
	runB := runID(t, id.stdout)
	// Approval rules: a stranger and the author (prevent_self_approval) are refused.
	for _, who := range []string{"mallory@example.com", "alice@example.com"} {
		res := r.must(1, []string{"PIPELINE_USER=" + who}, "approve", runB, "go-live")
		if !strings.Contains(res.stderr, who) {
			t.Errorf("approve as %s: stderr %q does not name the refused identity", who, res.stderr)
		}
	}
	r.must(0, nil, "approve", runB, "go-live", "--as", "carol@example.com")
	r.must(0, nil, "resume", runB, "--runner", "local", "--plain")
	if n := r.count("compile"); n != 2 {
		t.Errorf("compile ran %d times over two delivered runs; want 2 (resume must not rebuild)", n)
	}

	c4 := r.commit("bad change", map[string]string{"src.txt": "bad\n"})
	deliver(t, r, 1) // the production smoke test fails

	res := r.must(0, nil, "rollback", "production", "--runner", "local", "--plain")
	if !strings.Contains(res.stdout, "deployment of 1.0.3 to production: succeeded") {
		t.Errorf("rollback output does not report 1.0.3 deployed:\n%s", res.stdout)
	}

	h := decode[view.History](t, r.must(0, nil, "history", "--env", "production", "--json").stdout)
	type row struct {
		version, kind, status string
		commits               []string
	}
	want := []row{
		{"1.0.3", "rollback", "succeeded", nil},
		{"1.0.4", "run", "failed", []string{c4}},
		{"1.0.3", "run", "succeeded", []string{c3, c2}},
		{"1.0.1", "run", "succeeded", []string{c1}},
	}
	if len(h.Deployments) != len(want) {
		t.Fatalf("history has %d production entries; want %d: %+v", len(h.Deployments), len(want), h.Deployments)
	}
	for i, w := range want {
		d := h.Deployments[i]
		var got []string
		for _, c := range d.Commits {
			got = append(got, c.SHA)
		}
		if d.Version != w.version || d.Kind != w.kind || d.Status != w.status || strings.Join(got, ",") != strings.Join(w.commits, ",") {
			t.Errorf("history[%d] = %s %s %s commits %v; want %s %s %s commits %v", i, d.Version, d.Kind, d.Status, got, w.version, w.kind, w.status, w.commits)
		}
		if w.kind == "run" && strings.Join(d.ApprovedBy, ",") != "carol@example.com" {
			t.Errorf("history[%d] approved by %v; want carol@example.com", i, d.ApprovedBy)
		}
	}
	if got := rollbackTarget(h, "production"); got != "1.0.1" {
		t.Errorf("rollback target of production after the rollback = %q; want 1.0.1", got)
	}

	status := r.must(0, nil, "status").stdout
	for _, want := range []string{"production", "1.0.3", "1.0.1"} {
		if !strings.Contains(status, want) {
			t.Errorf("status does not show %q:\n%s", want, status)
		}
	}
	audit := r.must(0, nil, "audit").stdout
	for _, want := range []string{"approve", "rollback", "carol@example.com"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit does not show %q:\n%s", want, audit)
		}
	}
	// A release built without deployments is promoted without rebuilding;
	// requires applies: beta only after internal.
	r.commit("fifth", map[string]string{"src.txt": "good 5\n"})
	r.must(0, nil, "run", "--only", "package", "--runner", "local", "--plain")
	refused := r.must(1, nil, "deploy", "beta", "--release", "1.0.5", "--runner", "local")
	if !strings.Contains(refused.stderr, "internal") {
		t.Errorf("deploy to beta before internal: stderr %q does not name internal", refused.stderr)
	}
	r.must(0, nil, "deploy", "internal", "--release", "1.0.5", "--runner", "local")
	r.must(0, nil, "deploy", "beta", "--release", "1.0.5", "--runner", "local")
	r.must(3, nil, "deploy", "production", "--release", "1.0.5", "--runner", "local")
	if n := r.count("compile"); n != 4 {
		t.Errorf("compile ran %d times; want 4 (promotion must not rebuild)", n)
	}
}

// rollbackTarget returns the rollback target of env in h, or "".
func rollbackTarget(h view.History, env string) string {
	for _, t := range h.RollbackTargets {
		if t.Environment == env {
			return t.Version
		}
	}
	return ""
}
