package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/postgres"
	"github.com/pipeline-cd/pipeline/engine/state/statetest"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

// baseURL returns PIPELINE_TEST_POSTGRES. Without it the test is skipped on
// a laptop and fails in CI (CI=true), where the server must be exercised.
func baseURL(t *testing.T) string {
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

// freshSchema creates an empty schema, dropped when t ends, and returns the
// test URL with search_path set to it.
func freshSchema(t *testing.T) string {
	t.Helper()
	base := baseURL(t)
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

func open(t *testing.T, u string) state.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), u, nil)
	if err != nil {
		t.Fatalf("Open(%s) = %v; want nil", postgres.Redact(u), err)
	}
	return s
}

func TestStore(t *testing.T) {
	baseURL(t)
	statetest.Run(t, func(t *testing.T) state.Store { return open(t, freshSchema(t)) })
}

// TestTwoStoresOneDatabase opens one schema twice at once, as two CI
// machines would (the advisory lock serialises the migrations), and races
// both connection pools for one lock.
func TestTwoStoresOneDatabase(t *testing.T) {
	u := freshSchema(t)
	statetest.OpenedTogether(t, func(ctx context.Context) (state.Store, error) {
		return postgres.Open(ctx, u, nil)
	})
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:secret@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgresql://u@h/db", "postgresql://u@h/db"},
		{"postgres://u:pa%zz@h/db", "(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := postgres.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestOpenErrorHidesPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://u:hunter2@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", nil)
	if err == nil {
		t.Fatal("Open(port 1) = nil error; want a connection error")
	}
	if msg := err.Error(); strings.Contains(msg, "hunter2") || !strings.Contains(msg, "127.0.0.1:1") {
		t.Errorf("Open(port 1) error = %q; want the URL without its password", msg)
	}
}
