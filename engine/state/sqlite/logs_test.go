package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/engine/state/sqlstore"
)

// TestLogsMigration takes a database back to schema version 2 with lines
// in the one-row-per-line logs table, opens it (migration 3 adds
// log_chunks), appends more lines as chunks, and reads both back merged.
func TestLogsMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRun(ctx, &state.Run{ID: "old", Pipeline: "p", StartedAt: time.Unix(100, 0)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A version 2 database: without log_chunks (3) and what came after
	// it (4: cache_entries).
	for _, q := range []string{`DROP TABLE log_chunks`, `DROP TABLE cache_entries`, `DELETE FROM schema_migrations WHERE version >= 3`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	base := time.Unix(200, 0).UTC()
	for i := 0; i < 3; i++ {
		if _, err := db.ExecContext(ctx, `INSERT INTO logs (run_id, node_id, attempt, seq, stream, logged_at, line) VALUES (?, ?, 1, ?, 'stdout', ?, ?)`,
			"old", "build.a", i, base.Add(time.Duration(2*i)*time.Second).UnixNano(), fmt.Sprintf("old %d", i)); err != nil {
			t.Fatal(err)
		}
	}

	s, err = sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatalf("Open(schema version 2) = %v", err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(ctx); err != nil || v != sqlstore.LatestVersion() {
		t.Fatalf("SchemaVersion() after opening a version 2 database = %d, %v; want %d", v, err, sqlstore.LatestVersion())
	}
	// build.b ran beside build.a before the upgrade; its lines, stored
	// now, interleave with the old ones by time.
	var fresh []state.LogLine
	for i := 0; i < 3; i++ {
		fresh = append(fresh, state.LogLine{RunID: "old", NodeID: "build.b", Attempt: 1, Seq: int64(i), Stream: "stdout",
			Time: base.Add(time.Duration(2*i+1) * time.Second), Text: fmt.Sprintf("new %d", i)})
	}
	if err := s.AppendLogs(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendLogs(ctx, []state.LogLine{{RunID: "old", NodeID: "build.a", Attempt: 1, Seq: 1, Stream: "stdout", Time: base, Text: "dup"}}); err == nil {
		t.Errorf("AppendLogs(a seq stored in the old table) = nil; want ErrConflict")
	}
	lines, err := s.Logs(ctx, "old", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		got = append(got, l.Text)
	}
	want := "[old 0 new 0 old 1 new 1 old 2 new 2]"
	if fmt.Sprint(got) != want {
		t.Errorf("Logs(run) = %v; want %s", got, want)
	}
	a, err := s.Logs(ctx, "old", "build.a")
	if err != nil || len(a) != 3 || a[2].Text != "old 2" || !a[2].Time.Equal(base.Add(4*time.Second)) {
		t.Errorf("Logs(build.a) = %+v, %v; want the three old lines with their times", a, err)
	}
}
