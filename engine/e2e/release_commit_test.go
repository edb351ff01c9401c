package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/view"
)

// scriptedSvc deploys with the repository's deploy.sh: which deploy.sh ran
// shows in the log file it appends to.
const scriptedSvc = `
pipeline "svc" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}
build "app" {
  step "compile" { run = "mkdir -p dist && echo ok > dist/app" }
}
package "app" {
  artifact "bin" { path = "dist/app" }
}
environment "prod" {
  step "rollout" { run = "sh deploy.sh ${release.version}" }
}
`

// deployScript returns a deploy.sh that appends "NAME VERSION" to log.
func deployScript(name, log string) string {
	return "#!/bin/sh\necho \"" + name + " $1\" >> '" + log + "'\n"
}

// lastLine returns the last line of the file at path.
func lastLine(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// releasesWithScripts commits release 1 with deploy.sh v1 and release 2
// with deploy.sh v2, runs both to prod, then commits deploy.sh v3 without
// running it. It returns the log path and the commits of release 1 and 2.
func releasesWithScripts(t *testing.T, r *repo) (log, c1, c2 string) {
	t.Helper()
	log = filepath.Join(t.TempDir(), "deploy.log")
	c1 = r.commit("release 1", map[string]string{"pipeline.hcl": scriptedSvc, "deploy.sh": deployScript("v1", log)})
	r.must(0, nil, "run", "--runner", "local", "--plain")
	c2 = r.commit("release 2 changes deploy.sh", map[string]string{"deploy.sh": deployScript("v2", log)})
	r.must(0, nil, "run", "--runner", "local", "--plain")
	if got := lastLine(t, log); got != "v2 1.0.2" {
		t.Fatalf("after running release 2, deploy.log ends with %q; want v2 1.0.2", got)
	}
	r.commit("deploy.sh v3, not released", map[string]string{"deploy.sh": deployScript("v3", log)})
	return log, c1, c2
}

// TestRollbackRunsTheReleasesOwnCommit: release 1 deploys with deploy.sh
// v1, release 2 with v2; the working tree has v3. A rollback runs v1's
// deploy.sh and records release 1's commit; deploy --release 2 runs v2's.
// No checkout is left behind, the working tree is untouched, a rollback to
// the live release is refused, and a release whose commit a shallow clone
// lacks is refused with the fix.
func TestRollbackRunsTheReleasesOwnCommit(t *testing.T) {
	r := newRepo(t)
	log, c1, c2 := releasesWithScripts(t, r)

	res := r.must(0, nil, "rollback", "prod", "--runner", "local", "--plain")
	if got := lastLine(t, log); got != "v1 1.0.1" {
		t.Errorf("rollback to 1.0.1 ran %q; want v1's deploy.sh (v1 1.0.1)\nstdout:\n%s", got, res.stdout)
	}
	runs := decode[view.Runs](t, r.must(0, nil, "runs", "--json").stdout)
	if len(runs.Runs) == 0 || runs.Runs[0].Kind != "rollback" || runs.Runs[0].Commit != c1 {
		t.Fatalf("newest run = %+v; want the rollback, recording release 1's commit %s", runs.Runs[0], c1)
	}

	refused := r.must(2, nil, "rollback", "prod", "--to", "1.0.1", "--runner", "local")
	for _, want := range []string{"1.0.1 is already live in prod", "1.0.2 succeeded", "--to VERSION"} {
		if !strings.Contains(refused.stderr, want) {
			t.Errorf("rollback to the live release: stderr does not say %q:\n%s", want, refused.stderr)
		}
	}
	none := r.must(1, nil, "rollback", "prod", "--runner", "local")
	for _, want := range []string{"no rollback target", "1.0.1 succeeded (live)", "1.0.2 succeeded"} {
		if !strings.Contains(none.stderr, want) {
			t.Errorf("rollback without a target: stderr does not say %q:\n%s", want, none.stderr)
		}
	}

	r.must(0, nil, "deploy", "prod", "--release", "1.0.2", "--runner", "local", "--plain")
	if got := lastLine(t, log); got != "v2 1.0.2" {
		t.Errorf("deploy --release 1.0.2 ran %q; want v2's deploy.sh (v2 1.0.2)", got)
	}
	runs = decode[view.Runs](t, r.must(0, nil, "runs", "--json").stdout)
	if runs.Runs[0].Kind != "deploy" || runs.Runs[0].Commit != c2 {
		t.Errorf("newest run = %s %s; want the deploy recording release 2's commit %s", runs.Runs[0].Kind, runs.Runs[0].Commit, c2)
	}

	if got := r.git("status", "--porcelain"); got != "" {
		t.Errorf("the working tree changed:\n%s", got)
	}
	if list := r.git("worktree", "list"); strings.Count(list, "\n") != 0 {
		t.Errorf("a checkout is left behind:\n%s", list)
	}
	left, _ := filepath.Glob(filepath.Join(r.dir, ".git", "pipeline-checkouts", "*"))
	if len(left) != 0 {
		t.Errorf("checkout folders left behind: %v", left)
	}

	// A shallow clone sharing the state store lacks release 1's commit.
	clone := filepath.Join(t.TempDir(), "clone")
	if out, err := exec.Command("git", "clone", "-q", "--depth=1", "file://"+r.dir, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone --depth=1: %v\n%s", err, out)
	}
	state := "sqlite:" + filepath.Join(r.dir, ".pipeline", "state.db")
	shallow := r.must(2, nil, "-C", clone, "--state", state, "deploy", "prod", "--release", "1.0.1", "--runner", "local")
	for _, want := range []string{c1, "release 1.0.1", "git fetch --unshallow"} {
		if !strings.Contains(shallow.stderr, want) {
			t.Errorf("deploy of a release whose commit is missing: stderr does not say %q:\n%s", want, shallow.stderr)
		}
	}
	if got := lastLine(t, log); got != "v2 1.0.2" {
		t.Errorf("the refused deploy ran a script: deploy.log ends with %q", got)
	}
}
