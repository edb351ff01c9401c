package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
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
    run = "mkdir -p dist && echo built-${git.short_sha} > dist/app"
  }
}

test "unit" {
  step "check" { run = "test -f dist/app" }
}

package "app" {
  artifact "bin" { path = "dist/app" }
}

environment "internal" {
  step "rollout" { run = "echo internal ${release.version} >> deploy.log && cat ${release.artifacts.bin}" }
}

environment "beta" {
  requires = [environment.internal]
  step "rollout" { run = "echo beta ${release.version} >> deploy.log" }
}

environment "production" {
  requires = [environment.beta]
  branches = ["main"]
  gate "go-live" {
    approvers             = ["group:release-managers", "author"]
    prevent_self_approval = true
  }
  step "rollout" { run = "echo production ${release.version} >> deploy.log" }
}
`

func TestRunGateApproveResume(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": webapp})
	f := newFixture(t, r)
	c := ctx(t)

	var started string
	res, err := f.eng.Run(c, engine.RunRequest{Config: r.load(), Started: func(i engine.RunInfo) { started = i.Run.ID }})
	if exitCode(err) != 3 {
		t.Fatalf("Run = %v (code %d); want a waiting error with code 3", err, exitCode(err))
	}
	var we *engine.WaitingError
	if !errors.As(err, &we) || len(we.Gates) != 1 || we.Gates[0].Command() != "pipeline approve "+res.Run.ID+" go-live" {
		t.Fatalf("Run error = %v; want one gate with the approve command", err)
	}
	if started != res.Run.ID {
		t.Errorf("Started got run %q; want %q", started, res.Run.ID)
	}
	if res.Release == nil || res.Release.Version != "1.0.1" || len(res.Release.Artifacts) != 1 {
		t.Fatalf("Release = %+v; want version 1.0.1 with one artifact", res.Release)
	}
	run, _ := f.store.GetRun(c, res.Run.ID)
	if run.Status != state.StatusWaiting {
		t.Errorf("run status = %s; want waiting", run.Status)
	}

	deny := []struct {
		who  string
		want error
	}{
		{"mallory@example.com", rules.ErrNotApprover},
		{"alice@example.com", rules.ErrSelfApproval},
	}
	for _, d := range deny {
		if _, err := f.eng.Approve(c, engine.Decision{RunID: res.Run.ID, Gate: "go-live", By: d.who}); !errors.Is(err, d.want) {
			t.Errorf("Approve by %s = %v; want %v", d.who, err, d.want)
		}
	}
	if _, err := f.eng.Approve(c, engine.Decision{RunID: res.Run.ID, Gate: "go-live", By: "carol@example.com"}); err != nil {
		t.Fatalf("Approve by carol: %v", err)
	}
	res2, err := f.eng.Resume(c, engine.ResumeRequest{RunID: res.Run.ID})
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if res2.Run.Status != state.StatusSucceeded {
		t.Errorf("resumed run status = %s; want succeeded", res2.Run.Status)
	}
	reused := 0
	for _, n := range res2.Exec.Nodes {
		if n.Status == "reused" {
			reused++
		}
	}
	if reused == 0 {
		t.Errorf("resume reused no node; want the build, test, package, internal and beta nodes reused")
	}
	h, err := f.eng.History(c, "webapp", "production", 0)
	if err != nil || len(h.Deployments) != 1 || h.Deployments[0].Status != state.StatusSucceeded ||
		strings.Join(h.Deployments[0].ApprovedBy, ",") != "carol@example.com" {
		t.Fatalf("History(production) = %+v, %v; want one succeeded deployment approved by carol", h, err)
	}
	if got := len(h.Deployments[0].Commits); got != 1 {
		t.Errorf("production deployment carries %d commits; want 1", got)
	}
	audit, _ := f.eng.Audit(c, "webapp", 0)
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	if !strings.Contains(strings.Join(actions, ","), "approve") {
		t.Errorf("audit actions = %v; want an approve", actions)
	}
	// A second run of the same commit would create the same version.
	_, err = f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if !errors.Is(err, engine.ErrReleaseExists) || exitCode(err) != 1 {
		t.Errorf("second Run of the same version = %v; want ErrReleaseExists with code 1", err)
	}
}
