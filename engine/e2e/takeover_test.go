package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
)

// takeover has an internal rollout step that prints a line and, while
// counts/hold exists, holds so that the process can be killed during it.
const takeover = `
pipeline "svc" {
  version = "3.0.${git.commit_count}"
  image   = "busybox"
}

build "app" {
  step "compile" {
    run = "mkdir -p dist counts && echo app > dist/app"
  }
}

package "app" {
  artifact "bin" { path = "dist/app" }
}

environment "internal" {
  step "rollout" {
    run = "echo x >> $HOME/counts/rollout && n=$(wc -l < $HOME/counts/rollout | tr -d ' ') && echo rolling ${release.version} try $n && touch $HOME/counts/rollout.$n && i=0; while [ -f $HOME/counts/hold ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; echo rolled ${release.version} try $n"
  }
}
`

// TestKillThenTakeoverThenResume follows the review's report: a run of
// 3.0.2 is killed during its internal rollout, `deploy internal --release
// 3.0.1` takes the dead run's lock over, and the killed run is resumed.
// The dead run's deployment is closed as abandoned (audited), the resume
// opens a new one, 3.0.2 is live and no deployment is left running; the
// resumed step is attempt 2, and its logs do not clash with attempt 1's.
func TestKillThenTakeoverThenResume(t *testing.T) {
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": takeover})
	r.must(0, nil, "run", "--runner", "local", "--plain")
	r.commit("two", map[string]string{"README": "2"})
	r.write(map[string]string{"counts/hold": ""})
	t.Cleanup(func() { _ = os.Remove(filepath.Join(r.dir, "counts", "hold")) })
	cmd, out := r.start(nil, "run", "--runner", "local", "--plain")
	r.waitFor("counts/rollout.2", 30*time.Second)
	time.Sleep(500 * time.Millisecond) // the step's first line reaches the store
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	id := runID(t, string(b))
	crashed(t, r, id)
	if err := os.Remove(filepath.Join(r.dir, "counts", "hold")); err != nil {
		t.Fatal(err)
	}

	r.must(0, nil, "deploy", "internal", "--release", "3.0.1", "--runner", "local", "--plain")
	audit := r.must(0, nil, "audit").stdout
	if !strings.Contains(audit, "lock_takeover") || !strings.Contains(audit, "abandon") {
		t.Errorf("audit does not record the takeover and the abandoned deployment of %s:\n%s", id, audit)
	}
	h := decode[view.History](t, r.must(0, nil, "history", "--env", "internal", "--json").stdout)
	for _, d := range h.Deployments {
		if d.RunID == id && (d.Status != state.StatusFailed || !strings.Contains(d.Reason, "abandoned")) {
			t.Errorf("the killed run's deployment after the takeover is %s (%q); want failed, abandoned", d.Status, d.Reason)
		}
	}

	res := r.must(0, nil, "resume", id, "--runner", "local", "--plain")
	if !strings.Contains(res.stdout, "deployment of 3.0.2 to internal: succeeded") {
		t.Errorf("resume %s output does not report 3.0.2 deployed:\n%s", id, res.stdout)
	}
	if strings.Contains(res.stderr, "state store write failed") || strings.Contains(res.stderr, "UNIQUE") {
		t.Errorf("resume %s reported store write errors:\n%s", id, res.stderr)
	}
	// The killed attempt (1) and the resumed one (2) are kept apart.
	logs := r.must(0, nil, "logs", id, "rollout").stdout
	if want := "[attempt 1] rolling 3.0.2 try 2\n[attempt 2] rolling 3.0.2 try 4\n[attempt 2] rolled 3.0.2 try 4\n"; logs != want {
		t.Errorf("logs %s rollout =\n%s\nwant\n%s", id, logs, want)
	}
	st := decode[view.Status](t, r.must(0, nil, "status", "--json").stdout)
	if len(st.Pipelines) != 1 || len(st.Pipelines[0].Environments) != 1 || st.Pipelines[0].Environments[0].Live == nil ||
		st.Pipelines[0].Environments[0].Live.Version != "3.0.2" {
		t.Errorf("status = %+v; want 3.0.2 live in internal", st.Pipelines)
	}
	h = decode[view.History](t, r.must(0, nil, "history", "--env", "internal", "--json").stdout)
	var mine []string
	for _, d := range h.Deployments {
		if d.Status == state.StatusRunning {
			t.Errorf("history has %s stuck in running: %s", d.Version, deploymentsOf(h.Deployments))
		}
		if d.RunID == id {
			mine = append(mine, d.Status)
		}
	}
	if strings.Join(mine, ",") != "succeeded,failed" {
		t.Errorf("deployments of run %s = %v (history %s); want a new succeeded one over the abandoned one", id, mine, deploymentsOf(h.Deployments))
	}
}
