package statetest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-cd/pipeline/engine/state"
)

func newDeployment(id, env, status string, minute int) *state.Deployment {
	return &state.Deployment{
		ID: id, Pipeline: "webapp", Environment: env, ReleaseID: "rel-" + id, Version: "1.0." + id,
		RunID: "run-" + id, Kind: state.DeployKindRun, Status: status, StartedAt: at(minute),
	}
}

func testDeployments(t *testing.T, s state.Store) {
	d := newDeployment("d1", "production", state.StatusRunning, 0)
	d.ApprovedBy = []string{"carol@example.com"}
	d.Commits = []state.Commit{{SHA: "abc", Author: "ann", Subject: "Fix the login"}, {SHA: "def", Author: "bob", Subject: "Add ✓ unicode"}}
	must(t, "CreateDeployment", s.CreateDeployment(ctx(t), d))
	got, err := s.GetDeployment(ctx(t), "d1")
	must(t, `GetDeployment("d1")`, err)
	if diff := cmp.Diff(d, got, diffOpts...); diff != "" {
		t.Errorf("GetDeployment(%q) mismatch (-want +got):\n%s", "d1", diff)
	}
	wantErr(t, "CreateDeployment(duplicate id)", s.CreateDeployment(ctx(t), newDeployment("d1", "beta", state.StatusRunning, 1)), state.ErrConflict)

	upd := *d
	upd.Status, upd.Reason, upd.FinishedAt = state.StatusFailed, "rollout exited with 1", at(4)
	upd.ApprovedBy = []string{"carol@example.com", "dave@example.com"}
	upd.Commits = nil
	upd.Environment, upd.ReleaseID = "beta", "other" // immutable fields: ignored
	must(t, "UpdateDeployment", s.UpdateDeployment(ctx(t), &upd))
	want := *d
	want.Status, want.Reason, want.FinishedAt, want.ApprovedBy, want.Commits = upd.Status, upd.Reason, upd.FinishedAt, upd.ApprovedBy, nil
	got, err = s.GetDeployment(ctx(t), "d1")
	must(t, `GetDeployment("d1")`, err)
	if diff := cmp.Diff(&want, got, diffOpts...); diff != "" {
		t.Errorf("GetDeployment(%q) after update mismatch (-want +got):\n%s", "d1", diff)
	}

	anon := newDeployment("", "beta", state.StatusRunning, 2)
	must(t, "CreateDeployment(empty id)", s.CreateDeployment(ctx(t), anon))
	if anon.ID == "" {
		t.Errorf("CreateDeployment(empty id) left ID empty; want an assigned id")
	}
}

func testListDeployments(t *testing.T, s state.Store) {
	ds := []*state.Deployment{
		newDeployment("1", "internal", state.StatusSucceeded, 0),
		newDeployment("2", "beta", state.StatusSucceeded, 1),
		newDeployment("3", "production", state.StatusSucceeded, 2),
		newDeployment("4", "production", state.StatusFailed, 3),
		newDeployment("5", "production", state.StatusSucceeded, 3), // tie with 4: higher ID first
		newDeployment("6", "production", state.StatusRunning, 4),
	}
	ds[4].Kind, ds[4].ReleaseID = state.DeployKindRollback, ds[2].ReleaseID
	other := newDeployment("7", "production", state.StatusSucceeded, 9)
	other.Pipeline = "api"
	for _, d := range append(ds, other) {
		must(t, fmt.Sprintf("CreateDeployment(%q)", d.ID), s.CreateDeployment(ctx(t), d))
	}
	tests := []struct {
		f    state.DeploymentFilter
		want []string
	}{
		{state.DeploymentFilter{}, []string{"7", "6", "5", "4", "3", "2", "1"}},
		{state.DeploymentFilter{Pipeline: "webapp"}, []string{"6", "5", "4", "3", "2", "1"}},
		{state.DeploymentFilter{Pipeline: "webapp", Environment: "production"}, []string{"6", "5", "4", "3"}},
		{state.DeploymentFilter{Environment: "production"}, []string{"7", "6", "5", "4", "3"}},
		{state.DeploymentFilter{Pipeline: "webapp", Environment: "production", Status: state.StatusSucceeded}, []string{"5", "3"}},
		{state.DeploymentFilter{Pipeline: "webapp", Environment: "production", Limit: 2}, []string{"6", "5"}},
		{state.DeploymentFilter{ReleaseID: "rel-3"}, []string{"5", "3"}},
		{state.DeploymentFilter{Pipeline: "webapp", Environment: "staging"}, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.f), func(t *testing.T) {
			list, err := s.ListDeployments(ctx(t), tt.f)
			must(t, "ListDeployments", err)
			var got []string
			for _, d := range list {
				got = append(got, d.ID)
			}
			if diff := cmp.Diff(tt.want, got, diffOpts...); diff != "" {
				t.Errorf("ListDeployments(%+v) ids mismatch (-want +got):\n%s", tt.f, diff)
			}
		})
	}
}
