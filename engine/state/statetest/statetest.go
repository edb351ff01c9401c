// Package statetest is the one test suite every state.Store implementation
// passes, in the way testing/fstest.TestFS checks a file system. Only tests
// import it.
package statetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// Run runs the whole suite. open returns a new, empty store for each
// subtest; the suite closes it. Subtests do not run in parallel, so open
// may reuse one database as long as every call starts empty.
func Run(t *testing.T, open func(t *testing.T) state.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s state.Store)
	}{
		{"Runs", testRuns},
		{"ListRuns", testListRuns},
		{"Pipelines", testPipelines},
		{"Nodes", testNodes},
		{"Logs", testLogs},
		{"StreamLogs", testStreamLogs},
		{"Releases", testReleases},
		{"DuplicateRelease", testDuplicateRelease},
		{"ConcurrentDuplicateRelease", testConcurrentDuplicateRelease},
		{"Deployments", testDeployments},
		{"ListDeployments", testListDeployments},
		{"Gates", testGates},
		{"Approvals", testApprovals},
		{"Audit", testAudit},
		{"Groups", testGroups},
		{"Cache", testCache},
		{"NotFound", testNotFound},
		{"ConcurrentWrites", testConcurrentWrites},
		{"Locks", testLocks},
		{"LockContention", func(t *testing.T, s state.Store) { LockContention(t, s, s, s) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close() = %v; want nil", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// t0 is the suite's reference time. It is not in UTC and has nanoseconds,
// so stores must keep the instant exactly; they may return it in UTC.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// diffOpts compares times by instant and treats nil and empty slices alike.
var diffOpts = []cmp.Option{cmpopts.EquateEmpty()}

func ctx(t *testing.T) context.Context { return t.Context() }

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v; want nil", what, err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s = %v; want an error wrapping %v", what, err, want)
	}
}

func newRun(id, pipeline string, started time.Time) *state.Run {
	return &state.Run{
		ID: id, Pipeline: pipeline, Component: ".", Commit: "c0ffee" + id, Branch: "main",
		Author: "ann@example.com", ConfigDigest: "sha256:cfg", Kind: "run", Status: state.StatusRunning,
		Plan: []byte(`{"nodes":["build.app.compile"]}`), Options: []byte(`{"dry_run":false}`),
		Host: "ci-1", PID: 4242, StartedAt: started,
	}
}

func createRuns(t *testing.T, s state.Store, runs ...*state.Run) {
	t.Helper()
	for _, r := range runs {
		must(t, fmt.Sprintf("CreateRun(%q)", r.ID), s.CreateRun(ctx(t), r))
	}
}
