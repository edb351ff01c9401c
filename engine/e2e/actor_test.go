package e2e

import (
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/view"
	"github.com/pipeline-cd/pipeline/internal/gittest"
)

const gated = `
pipeline "svc" {
  version = "2.0.${git.commit_count}"
  image   = "busybox"
}

build "app" {
  step "compile" { run = "mkdir -p dist && echo ${git.short_sha} > dist/app" }
}

package "app" {
  artifact "bin" { path = "dist/app" }
}

environment "production" {
  gate "go-live" { approvers = ["carol@example.com"] }
  step "rollout" { run = "echo deployed ${release.version}" }
}
`

// TestAuditActorIsTheCaller checks that deploys and rollbacks are audited
// under the caller's identity, resolved as approve resolves it
// ($PIPELINE_USER, else git config user.email), and that a rollback says
// it skips the gates the release already passed.
func TestAuditActorIsTheCaller(t *testing.T) {
	r := newRepo(t)
	for _, files := range []map[string]string{{"pipeline.hcl": gated}, {"README": "two"}} {
		r.commit("change", files)
		id := runID(t, r.must(3, nil, "run", "--runner", "local", "--plain").stdout)
		r.must(0, nil, "approve", id, "go-live", "--as", "carol@example.com")
		r.must(0, nil, "resume", id, "--runner", "local", "--plain")
	}

	res := r.must(0, nil, "rollback", "production", "--runner", "local", "--plain")
	if want := "gates skipped: go-live (release 2.0.1 already passed them when it was deployed to production on "; !strings.Contains(res.stdout, want) {
		t.Errorf("rollback output does not say %q:\n%s", want, res.stdout)
	}
	r.must(0, []string{"PIPELINE_USER=ops@example.com"}, "rollback", "production", "--to", "2.0.2", "--runner", "local", "--plain")

	var actors []string
	for _, ev := range decode[view.Audit](t, r.must(0, nil, "audit", "--json").stdout).Events {
		if ev.Action == "rollback" || ev.Action == "deploy" {
			actors = append(actors, ev.Action+" "+ev.Release+" by "+ev.Actor)
		}
	}
	want := []string{
		"deploy 2.0.1 by " + gittest.Email,
		"deploy 2.0.2 by " + gittest.Email,
		"rollback 2.0.1 by " + gittest.Email,
		"deploy 2.0.1 by " + gittest.Email,
		"rollback 2.0.2 by ops@example.com",
		"deploy 2.0.2 by ops@example.com",
	}
	if strings.Join(actors, "\n") != strings.Join(want, "\n") {
		t.Errorf("audited deploys and rollbacks:\n%s\nwant:\n%s", strings.Join(actors, "\n"), strings.Join(want, "\n"))
	}

	help := r.must(0, nil, "rollback", "--help").stdout
	if !strings.Contains(help, "Gates are skipped on purpose") {
		t.Errorf("rollback --help does not explain that gates are skipped:\n%s", help)
	}
}
