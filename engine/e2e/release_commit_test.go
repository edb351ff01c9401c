package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	if left := checkouts(r); len(left) != 0 {
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

// TestKilledRollbackLeavesACheckoutThatGCRemoves: a rollback killed while
// the release's deploy.sh runs leaves its checkout; gc removes it, and the
// resumed rollback runs from a new checkout of the release's commit.
func TestKilledRollbackLeavesACheckoutThatGCRemoves(t *testing.T) {
	r := newRepo(t)
	log := filepath.Join(t.TempDir(), "deploy.log")
	started := filepath.Join(r.dir, "deployed", "started")
	slow := "#!/bin/sh\nif [ -f '" + log + ".slow' ]; then mkdir -p '" + filepath.Dir(started) + "' && touch '" + started + "' && sleep 30; fi\n"
	r.commit("release 1", map[string]string{"pipeline.hcl": scriptedSvc, "deploy.sh": slow + deployScript("v1", log)})
	r.must(0, nil, "run", "--runner", "local", "--plain")
	r.commit("release 2", map[string]string{"deploy.sh": deployScript("v2", log)})
	r.must(0, nil, "run", "--runner", "local", "--plain")

	if err := os.WriteFile(log+".slow", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, out := r.start(nil, "rollback", "prod", "--runner", "local", "--plain")
	r.waitFor("deployed/started", 30*time.Second)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	id := runID(t, string(b))
	left := checkouts(r)
	if len(left) != 1 {
		t.Fatalf("after kill -9 during the rollback, checkouts = %v; want the killed one", left)
	}
	res := r.must(0, nil, "gc")
	if !strings.Contains(res.stdout, "removed 1 leftover release checkout") {
		t.Errorf("gc output %q; want the killed rollback's checkout removed", res.stdout)
	}
	if _, err := os.Stat(left[0]); !os.IsNotExist(err) {
		t.Errorf("checkout %s still exists after gc (stat: %v)", left[0], err)
	}
	if list := r.git("worktree", "list"); strings.Count(list, "\n") != 0 {
		t.Errorf("git still lists a worktree after gc:\n%s", list)
	}

	if err := os.Remove(log + ".slow"); err != nil {
		t.Fatal(err)
	}
	r.must(0, nil, "resume", id, "--runner", "local", "--plain")
	if got := lastLine(t, log); got != "v1 1.0.1" {
		t.Errorf("the resumed rollback ran %q; want v1's deploy.sh (v1 1.0.1)", got)
	}
	if left := checkouts(r); len(left) != 0 {
		t.Errorf("checkouts left after the resumed rollback: %v", left)
	}
}

// checkouts returns the release checkout folders of r.
func checkouts(r *repo) []string {
	var out []string
	matches, _ := filepath.Glob(filepath.Join(r.dir, ".git", "pipeline-checkouts", "*"))
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.IsDir() {
			out = append(out, m)
		}
	}
	return out
}
