package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgresEnv names the environment variable with the URL of the test
// PostgreSQL server; `eval "$(bash .ci/postgres.sh)"` sets it.
const PostgresEnv = "PIPELINE_TEST_POSTGRES"

var schemaSeq atomic.Int64

// PostgresSchema creates an empty schema on the server PostgresEnv names,
// dropped (with everything in it) when t ends, and returns the server URL
// with search_path set to it: a state store of its own for t. Without the
// variable it skips t, or fails it when InCI.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		Missing(t, "%s is unset; start a server with: eval \"$(bash .ci/postgres.sh)\"", PostgresEnv)
		return ""
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL: %v", PostgresEnv, err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("opening %s: %v", PostgresEnv, err)
	}
	schema := fmt.Sprintf("testenv_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("CREATE SCHEMA %s = %v; is the server up (eval \"$(bash .ci/postgres.sh)\")?", schema, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("DROP SCHEMA %s = %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
