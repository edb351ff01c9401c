// Package pgtest gives tests a PostgreSQL schema of their own on the
// server named by PIPELINE_TEST_POSTGRES (.ci/postgres.sh starts one and
// prints it). Without it a test is skipped on a laptop and fails in CI.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state/postgres"
)

// URL returns PIPELINE_TEST_POSTGRES. Without it the test is skipped on
// a laptop and fails in CI (CI=true), where the server must be exercised.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("PIPELINE_TEST_POSTGRES")
	if u != "" {
		return u
	}
	const msg = "PIPELINE_TEST_POSTGRES is unset; start a server with: eval \"$(.ci/postgres.sh)\""
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (required because CI=true)")
	}
	t.Skip(msg)
	return ""
}

var schemaSeq atomic.Int64

// FreshSchema creates an empty schema, dropped when t ends, and returns the
// test URL with search_path set to it.
func FreshSchema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("sql.Open(%s) = %v", postgres.Redact(base), err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("statetest_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaSeq.Add(1))
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("CREATE SCHEMA %s on %s = %v; is the server up (eval \"$(.ci/postgres.sh)\")?", schema, postgres.Redact(base), err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("DROP SCHEMA %s = %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("url.Parse(PIPELINE_TEST_POSTGRES) = %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
