package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/postgres"
	"github.com/pipeline-cd/pipeline/engine/state/statetest"
	"github.com/pipeline-cd/pipeline/internal/pgtest"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func open(t *testing.T, u string) state.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), u, nil)
	if err != nil {
		t.Fatalf("Open(%s) = %v; want nil", postgres.Redact(u), err)
	}
	return s
}

func TestStore(t *testing.T) {
	pgtest.URL(t)
	statetest.Run(t, func(t *testing.T) state.Store { return open(t, pgtest.FreshSchema(t)) })
}

// TestTwoStoresOneDatabase opens one schema twice at once, as two CI
// machines would (the advisory lock serialises the migrations), and races
// both connection pools for one lock.
func TestTwoStoresOneDatabase(t *testing.T) {
	u := pgtest.FreshSchema(t)
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
