package e2e

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/view"
)

// TestSignalAtGateClosesIt stops `pipeline run --wait` with SIGINT while it
// waits at prod's gate: the run is cancelled, status no longer shows the
// gate as waiting, and approve and resume refuse the run (exit 2), saying
// it was cancelled and to start a new run.
func TestSignalAtGateClosesIt(t *testing.T) {
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": `
pipeline "gated" {
  image = "busybox"
}
build "app" {
  step "compile" { run = "echo compiled" }
}
environment "prod" {
  gate "go" { approvers = ["carol@example.com"] }
  step "rollout" { run = "echo rolled" }
}
`})
	cmd, out := r.start(nil, "run", "--runner", "local", "--plain", "--wait")
	waiting := func() []view.Gate {
		// Until the run has created the store, status refuses (exit 2):
		// nothing waits yet.
		res := r.pipeline(nil, "status", "--json")
		if res.code != 0 {
			return nil
		}
		st := decode[view.Status](t, res.stdout)
		var gates []view.Gate
		for _, p := range st.Pipelines {
			for _, env := range p.Environments {
				gates = append(gates, env.Waiting...)
			}
		}
		return gates
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(waiting()) == 0 {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(out)
			t.Fatalf("run --wait never waited at the gate:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	b, _ := os.ReadFile(out)
	if cmd.ProcessState.ExitCode() != 1 {
		t.Errorf("run --wait after SIGINT exited %v (%d); want 1\n%s", err, cmd.ProcessState.ExitCode(), b)
	}
	id := runID(t, string(b))
	runs := decode[view.Runs](t, r.must(0, nil, "runs", "--json").stdout).Runs
	if len(runs) != 1 || runs[0].ID != id || runs[0].Status != "cancelled" {
		t.Errorf("runs after SIGINT = %+v; want run %s cancelled", runs, id)
	}
	if gates := waiting(); len(gates) != 0 {
		t.Errorf("status --json after SIGINT shows waiting gates %+v; want none", gates)
	}
	if res := r.must(0, nil, "status"); strings.Contains(res.stdout, "go (run "+id+")") {
		t.Errorf("status after SIGINT still offers the gate:\n%s", res.stdout)
	}
	for _, args := range [][]string{
		{"approve", id, "go", "--as", "carol@example.com"},
		{"resume", id},
	} {
		res := r.must(2, nil, args...)
		for _, want := range []string{"run " + id + " was cancelled", "start a new run"} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("pipeline %s: stderr %q does not say %q", strings.Join(args, " "), res.stderr, want)
			}
		}
	}
}
