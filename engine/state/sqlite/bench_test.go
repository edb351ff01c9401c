package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

var environments = []string{"internal", "beta", "production"}

// seedDeployments bulk-inserts n deployments of pipeline "webapp", spread
// round-robin over three environments, one minute apart, through a second
// connection in one transaction. It is the test-only fast path; the store's
// own CreateDeployment would take one transaction per row.
func seedDeployments(b *testing.B, path string, n int) {
	b.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		b.Fatalf("sql.Open = %v", err)
	}
	defer db.Close()
	tx, err := db.BeginTx(b.Context(), nil)
	if err != nil {
		b.Fatalf("BeginTx = %v", err)
	}
	stmt, err := tx.PrepareContext(b.Context(), `INSERT INTO deployments
	(id, pipeline, environment, release_id, version, run_id, kind, status, reason, approved_by, commits, started_at, finished_at)
VALUES (?, 'webapp', ?, ?, ?, ?, 'run', ?, '', ?, ?, ?, ?)`)
	if err != nil {
		b.Fatalf("Prepare = %v", err)
	}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		status := state.StatusSucceeded
		if i%10 == 7 {
			status = state.StatusFailed
		}
		began := start.Add(time.Duration(i) * time.Minute)
		if _, err := stmt.ExecContext(b.Context(), fmt.Sprintf("d%07d", i), environments[i%len(environments)],
			fmt.Sprintf("rel%07d", i/3), fmt.Sprintf("1.0.%d", i/3), fmt.Sprintf("run%07d", i/3), status,
			`["carol@example.com"]`, `[{"SHA":"abc123","Author":"ann","Subject":"Fix the login page"}]`,
			began.UnixNano(), began.Add(30*time.Second).UnixNano()); err != nil {
			b.Fatalf("insert deployment %d = %v", i, err)
		}
	}
	if err := stmt.Close(); err != nil {
		b.Fatalf("stmt.Close = %v", err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatalf("Commit = %v", err)
	}
}

// BenchmarkHistory100k times `pipeline history --env production`: the 50
// newest production deployments out of 100,000 recorded ones.
func BenchmarkHistory100k(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "state.db")
	s, err := sqlite.Open(b.Context(), path, nil)
	if err != nil {
		b.Fatalf("Open = %v", err)
	}
	defer s.Close()
	seedDeployments(b, path, n)
	f := state.DeploymentFilter{Pipeline: "webapp", Environment: "production", Limit: 50}
	b.ReportAllocs()
	for b.Loop() {
		ds, err := s.ListDeployments(b.Context(), f)
		if err != nil {
			b.Fatalf("ListDeployments = %v", err)
		}
		if len(ds) != 50 || ds[0].Environment != "production" || ds[0].ID != fmt.Sprintf("d%07d", n-2) {
			b.Fatalf("ListDeployments(%+v) = %d rows starting with %+v; want 50 starting with d%07d", f, len(ds), ds[0], n-2)
		}
	}
}

// BenchmarkRecordStep times recording one step as the engine does: the node
// goes running, three log lines are appended, the node succeeds.
func BenchmarkRecordStep(b *testing.B) {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "state.db"), nil)
	if err != nil {
		b.Fatalf("Open = %v", err)
	}
	defer s.Close()
	run := &state.Run{ID: "bench", Pipeline: "webapp", Status: state.StatusRunning, StartedAt: time.Now()}
	if err := s.CreateRun(b.Context(), run); err != nil {
		b.Fatalf("CreateRun = %v", err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		now := time.Now()
		n := &state.Node{RunID: "bench", NodeID: fmt.Sprintf("test.unit.step-%d", i), Kind: "step",
			Status: state.StatusRunning, Attempts: 1, StartedAt: now}
		if err := s.PutNode(b.Context(), n); err != nil {
			b.Fatalf("PutNode(running) = %v", err)
		}
		lines := make([]state.LogLine, 3)
		for j := range lines {
			lines[j] = state.LogLine{RunID: "bench", NodeID: n.NodeID, Attempt: 1, Seq: int64(j), Stream: "stdout",
				Time: now, Text: fmt.Sprintf("ok  github.com/example/pkg%d 0.%03ds", j, j)}
		}
		if err := s.AppendLogs(b.Context(), lines); err != nil {
			b.Fatalf("AppendLogs = %v", err)
		}
		n.Status, n.FinishedAt = state.StatusSucceeded, time.Now()
		if err := s.PutNode(b.Context(), n); err != nil {
			b.Fatalf("PutNode(succeeded) = %v", err)
		}
	}
}
