package statetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-cd/pipeline/engine/state"
)

func newGate(run, pipeline, name, status string, minute int) *state.Gate {
	return &state.Gate{
		RunID: run, Pipeline: pipeline, Environment: "production", Name: name, Status: status,
		ReleaseDigest: "sha256:rel", WaitingSince: at(minute), ExpiresAt: at(minute + 72*60),
	}
}

func testGates(t *testing.T, s state.Store) {
	createRuns(t, s, newRun("r1", "webapp", at(0)), newRun("r2", "webapp", at(0)), newRun("r3", "api", at(0)))
	g1 := newGate("r1", "webapp", "go-live", state.StatusWaiting, 5)
	g2 := newGate("r2", "webapp", "go-live", state.StatusWaiting, 1)
	g3 := newGate("r3", "api", "go-live", state.StatusWaiting, 3)
	g4 := newGate("r1", "webapp", "second-look", state.StatusWaiting, 5) // tie with g1: name orders
	g4.ExpiresAt = time.Time{}                                           // never expires
	for _, g := range []*state.Gate{g1, g2, g3, g4} {
		must(t, fmt.Sprintf("PutGate(%s/%s)", g.RunID, g.Name), s.PutGate(ctx(t), g))
	}
	got, err := s.GetGate(ctx(t), "r1", "second-look")
	must(t, "GetGate", err)
	if d := cmp.Diff(g4, got, diffOpts...); d != "" {
		t.Errorf("GetGate(%q, %q) mismatch (-want +got):\n%s", "r1", "second-look", d)
	}

	// Deciding a gate replaces it; it leaves the waiting list.
	approved := *g2
	approved.Status, approved.DecidedAt = "approved", at(10)
	must(t, "PutGate(approved)", s.PutGate(ctx(t), &approved))
	got, err = s.GetGate(ctx(t), "r2", "go-live")
	must(t, "GetGate", err)
	if d := cmp.Diff(&approved, got, diffOpts...); d != "" {
		t.Errorf("GetGate(%q, %q) after decision mismatch (-want +got):\n%s", "r2", "go-live", d)
	}

	tests := []struct {
		pipeline string
		want     []*state.Gate
	}{
		{"", []*state.Gate{g3, g1, g4}},
		{"webapp", []*state.Gate{g1, g4}},
		{"api", []*state.Gate{g3}},
		{"none", nil},
	}
	for _, tt := range tests {
		got, err := s.WaitingGates(ctx(t), tt.pipeline)
		must(t, "WaitingGates", err)
		if d := cmp.Diff(tt.want, got, diffOpts...); d != "" {
			t.Errorf("WaitingGates(%q) mismatch (-want +got):\n%s", tt.pipeline, d)
		}
	}
	wantErr(t, "PutGate(unknown run)", s.PutGate(ctx(t), newGate("ghost", "webapp", "go-live", state.StatusWaiting, 0)), state.ErrNotFound)
}

func testApprovals(t *testing.T, s state.Store) {
	createRuns(t, s, newRun("r1", "webapp", at(0)))
	must(t, "PutGate", s.PutGate(ctx(t), newGate("r1", "webapp", "go-live", state.StatusWaiting, 0)))
	must(t, "PutGate", s.PutGate(ctx(t), newGate("r1", "webapp", "other", state.StatusWaiting, 0)))
	a1 := &state.Approval{RunID: "r1", Gate: "go-live", By: "carol@example.com", Decision: "approve", Comment: "ship it", ReleaseDigest: "sha256:rel", At: at(9),
		Signature: &state.Signature{Payload: "pipeline-approval v1\nrun: r1\n", Armored: "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n", Fingerprint: "SHA256:abc"}}
	a2 := &state.Approval{RunID: "r1", Gate: "go-live", By: "dave@example.com", Decision: "reject", ReleaseDigest: "sha256:rel", At: at(2)}
	a3 := &state.Approval{RunID: "r1", Gate: "other", By: "dave@example.com", Decision: "approve", ReleaseDigest: "sha256:rel"}
	for _, a := range []*state.Approval{a1, a2, a3} {
		must(t, "AddApproval("+a.By+")", s.AddApproval(ctx(t), a))
	}
	if a3.At.IsZero() {
		t.Errorf("AddApproval with zero At left At zero; want the current time")
	}
	got, err := s.Approvals(ctx(t), "r1", "go-live")
	must(t, "Approvals", err)
	if d := cmp.Diff([]*state.Approval{a1, a2}, got, diffOpts...); d != "" {
		t.Errorf("Approvals(%q, %q) mismatch, want insertion order (-want +got):\n%s", "r1", "go-live", d)
	}
	got, err = s.Approvals(ctx(t), "r1", "none")
	must(t, "Approvals(none)", err)
	if len(got) != 0 {
		t.Errorf("Approvals(%q, %q) = %d; want 0", "r1", "none", len(got))
	}
	wantErr(t, "AddApproval(unknown gate)", s.AddApproval(ctx(t), &state.Approval{RunID: "r1", Gate: "ghost", By: "x", Decision: "approve"}), state.ErrNotFound)
}

func testAudit(t *testing.T, s state.Store) {
	events := []*state.AuditEvent{
		{At: at(0), Actor: "carol", Action: "approve", Pipeline: "webapp", Environment: "production", RunID: "r1", Release: "1.0.0", Detail: "gate go-live",
			Signature: &state.Signature{Payload: "pipeline-approval v1\n", Armored: "-----BEGIN SSH SIGNATURE-----\n", Fingerprint: "SHA256:abc"}},
		{At: at(1), Actor: "dave", Action: "reject", Pipeline: "api", Environment: "production", RunID: "r2", Release: "2.0.0"},
		{At: at(2), Actor: "ci", Action: "rollback", Pipeline: "webapp", Environment: "production", Release: "0.9.0", Detail: "to 0.9.0"},
		{Actor: "ci", Action: "lock_takeover", Pipeline: "webapp", Environment: "beta", Detail: "holder pid 12 is gone"},
	}
	var last int64
	for i, e := range events {
		must(t, "AppendAudit("+e.Action+")", s.AppendAudit(ctx(t), e))
		if e.Seq <= last {
			t.Errorf("AppendAudit #%d set Seq %d; want more than the previous %d", i, e.Seq, last)
		}
		last = e.Seq
	}
	if events[3].At.IsZero() {
		t.Errorf("AppendAudit with zero At left At zero; want the current time")
	}
	tests := []struct {
		pipeline string
		limit    int
		want     []*state.AuditEvent
	}{
		{"", 0, events},
		{"webapp", 0, []*state.AuditEvent{events[0], events[2], events[3]}},
		{"webapp", 2, []*state.AuditEvent{events[2], events[3]}},
		{"api", 5, []*state.AuditEvent{events[1]}},
		{"none", 0, nil},
	}
	for _, tt := range tests {
		got, err := s.Audit(ctx(t), tt.pipeline, tt.limit)
		must(t, "Audit", err)
		if d := cmp.Diff(tt.want, got, diffOpts...); d != "" {
			t.Errorf("Audit(%q, %d) mismatch (-want +got):\n%s", tt.pipeline, tt.limit, d)
		}
	}
}

func testGroups(t *testing.T, s state.Store) {
	must(t, "SetGroup", s.SetGroup(ctx(t), "release-managers", []string{"carol@example.com", "dave@example.com"}))
	must(t, "SetGroup(empty)", s.SetGroup(ctx(t), "nobody", nil))
	must(t, "SetGroup(replace)", s.SetGroup(ctx(t), "release-managers", []string{"erin@example.com"}))
	tests := []struct {
		name string
		want []string
	}{
		{"release-managers", []string{"erin@example.com"}},
		{"nobody", nil},
	}
	for _, tt := range tests {
		got, err := s.GroupMembers(ctx(t), tt.name)
		must(t, "GroupMembers("+tt.name+")", err)
		if d := cmp.Diff(tt.want, got, diffOpts...); d != "" {
			t.Errorf("GroupMembers(%q) mismatch (-want +got):\n%s", tt.name, d)
		}
	}
	_, err := s.GroupMembers(ctx(t), "unknown")
	wantErr(t, `GroupMembers("unknown")`, err, state.ErrNotFound)
}

func testNotFound(t *testing.T, s state.Store) {
	tests := []struct {
		name string
		call func() error
	}{
		{"GetRun", func() error { _, err := s.GetRun(ctx(t), "x"); return err }},
		{"UpdateRun", func() error { return s.UpdateRun(ctx(t), newRun("x", "webapp", at(0))) }},
		{"GetRelease", func() error { _, err := s.GetRelease(ctx(t), "x"); return err }},
		{"ReleaseByVersion", func() error { _, err := s.ReleaseByVersion(ctx(t), "webapp", "1.0.0"); return err }},
		{"GetDeployment", func() error { _, err := s.GetDeployment(ctx(t), "x"); return err }},
		{"UpdateDeployment", func() error {
			return s.UpdateDeployment(ctx(t), newDeployment("x", "production", state.StatusFailed, 0))
		}},
		{"GetGate", func() error { _, err := s.GetGate(ctx(t), "x", "go-live"); return err }},
		{"GetLock", func() error { _, err := s.GetLock(ctx(t), "webapp/production"); return err }},
		{"GroupMembers", func() error { _, err := s.GroupMembers(ctx(t), "x"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.name+"(unknown)", tt.call(), state.ErrNotFound)
		})
	}
}
