package engine_test

import (
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
)

// TestStatusShowsApprovedGateWaitingForResume checks that once a gate is
// approved, status no longer shows it as waiting but as approved, in the
// run that waits for `pipeline resume`, and shows nothing once resumed.
func TestStatusShowsApprovedGateWaitingForResume(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": whenConfig})
	f := sqliteFixture(t, r)
	t.Setenv("WHEN_SWITCH", "on")
	f.env["WHEN_SWITCH"] = "on"
	c := ctx(t)
	res, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
	if exitCode(err) != 3 {
		t.Fatalf("Run = %v; want it to stop at the gate (code 3)", err)
	}
	id := res.Run.ID
	status := func() engine.EnvStatus {
		t.Helper()
		rows, err := f.eng.Status(c, "whens", []string{"production"})
		if err != nil || len(rows) != 1 {
			t.Fatalf("Status = %v, %v; want one row", rows, err)
		}
		return rows[0]
	}
	if s := status(); len(s.Waiting) != 1 || len(s.Approved) != 0 {
		t.Fatalf("Status before approval: waiting %d, approved %d; want 1 waiting, 0 approved", len(s.Waiting), len(s.Approved))
	}
	if _, err := f.eng.Approve(c, engine.Decision{RunID: id, Gate: "go-live", By: "carol@example.com"}); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	s := status()
	if len(s.Waiting) != 0 || len(s.Approved) != 1 || s.Approved[0].RunID != id || s.Approved[0].Status != "approved" {
		t.Fatalf("Status after approval: waiting %v, approved %v; want no waiting gate and go-live of run %s approved", s.Waiting, s.Approved, id)
	}
	if _, err := f.eng.Resume(c, engine.ResumeRequest{RunID: id}); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if s := status(); len(s.Waiting) != 0 || len(s.Approved) != 0 || s.Live == nil {
		t.Errorf("Status after resume: waiting %d, approved %d, live %v; want neither and a live deployment", len(s.Waiting), len(s.Approved), s.Live)
	}
}
