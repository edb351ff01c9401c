package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/engine/state/statetest"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestStore(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "state.db"), nil)
		if err != nil {
			t.Fatalf("Open() = %v; want nil", err)
		}
		return s
	})
}

// TestTwoStoresOneFile opens the same file twice, as two processes would,
// concurrently (both run migrations) and races them for one lock.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "state.db")
	statetest.OpenedTogether(t, func(ctx context.Context) (state.Store, error) {
		return sqlite.Open(ctx, path, nil)
	})
}

// TestOddPath opens a file whose name holds the characters that delimit a
// URI, and checks they named the file rather than the connection options.
func TestOddPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir?x=1#frag%41")
	path := filepath.Join(dir, "state.db")
	s, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatalf("Open(%q) = %v; want nil", path, err)
	}
	defer s.Close()
	if err := s.CreateRun(t.Context(), &state.Run{ID: "r"}); err != nil {
		t.Fatalf("CreateRun = %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Open(%q) did not create that file: %v", path, err)
	}
}
