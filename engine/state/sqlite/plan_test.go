package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

// TestQueryPlans checks that the hot queries are served by an index in
// order, without a table scan or a sort, so their cost does not grow with
// the history.
func TestQueryPlans(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	defer s.Close()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		t.Fatalf("sql.Open = %v", err)
	}
	defer db.Close()
	tests := []struct {
		name, query string
		wantIndex   string
	}{
		{"history of one environment",
			`SELECT id FROM deployments WHERE pipeline = 'webapp' AND environment = 'production' ORDER BY started_at DESC, id DESC LIMIT 50`,
			"deployments_pipeline_env_started"},
		{"runs of one pipeline",
			`SELECT id FROM runs WHERE pipeline = 'webapp' ORDER BY started_at DESC, id DESC LIMIT 20`,
			"runs_pipeline_started"},
		{"releases of one pipeline",
			`SELECT id FROM releases WHERE pipeline = 'webapp' ORDER BY created_at DESC, id DESC LIMIT 20`,
			"releases_pipeline_created"},
		{"logs of one node",
			`SELECT line FROM logs WHERE run_id = 'r' AND node_id = 'n' ORDER BY attempt, seq`,
			"sqlite_autoindex_logs_1"},
		{"waiting gates",
			`SELECT name FROM gates WHERE status = 'waiting' ORDER BY waiting_since`,
			"gates_status_since"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tt.query)
			if err != nil {
				t.Fatalf("EXPLAIN QUERY PLAN = %v", err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatalf("Scan = %v", err)
				}
				plan = append(plan, detail)
			}
			got := strings.Join(plan, "; ")
			if !strings.Contains(got, "USING INDEX "+tt.wantIndex) && !strings.Contains(got, "USING COVERING INDEX "+tt.wantIndex) {
				t.Errorf("plan of %s = %q; want it to use index %s", tt.name, got, tt.wantIndex)
			}
			if strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("plan of %s = %q; want no sort (TEMP B-TREE)", tt.name, got)
			}
		})
	}
}
