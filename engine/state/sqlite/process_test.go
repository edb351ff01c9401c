package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/engine/state/sqlstore"
)

const helperEnv = "PIPELINE_STATE_LOCK_HELPER"

// TestLockHelperProcess is not a test: TestLockAcrossProcesses runs the test
// binary again with helperEnv set, and this function then plays one process
// that opens the store and tries to take the lock once.
func TestLockHelperProcess(t *testing.T) {
	path, holder, ok := strings.Cut(os.Getenv(helperEnv), "|")
	if !ok {
		t.Skip("helper process for TestLockAcrossProcesses")
	}
	s, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		fmt.Printf("RESULT open-error %v\n", err)
		return
	}
	defer s.Close()
	now := time.Now()
	_, err = s.TryLock(t.Context(), &state.Lock{Key: "webapp/production", Holder: holder, PID: os.Getpid(), ExpiresAt: now.Add(time.Hour)}, now)
	switch {
	case err == nil:
		fmt.Println("RESULT won")
	case errors.Is(err, state.ErrLocked):
		fmt.Println("RESULT locked")
	default:
		fmt.Printf("RESULT error %v\n", err)
	}
}

// TestLockAcrossProcesses starts several processes at once on a new file:
// they race through the migrations and for one lock; exactly one wins.
func TestLockAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	path := filepath.Join(t.TempDir(), "state.db")
	const n = 4
	out := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|proc-%d", helperEnv, path, i))
			b, err := cmd.CombinedOutput()
			if err != nil {
				out[i] = fmt.Sprintf("exit error %v: %s", err, b)
				return
			}
			for line := range strings.Lines(string(b)) {
				if r, ok := strings.CutPrefix(line, "RESULT "); ok {
					out[i] = strings.TrimSpace(r)
				}
			}
		})
	}
	wg.Wait()
	won := 0
	for i, r := range out {
		switch r {
		case "won":
			won++
		case "locked":
		default:
			t.Errorf("process %d: %q; want won or locked", i, r)
		}
	}
	if won != 1 {
		t.Errorf("%d processes raced for one lock and %d won (%q); want exactly 1", n, won, out)
	}
}

func TestSchemaMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	for range 2 {
		s, err := sqlite.Open(t.Context(), path, nil)
		if err != nil {
			t.Fatalf("Open = %v; want nil", err)
		}
		v, err := s.SchemaVersion(t.Context())
		if want := sqlstore.LatestVersion(); err != nil || v != want {
			t.Errorf("SchemaVersion() = %d, %v; want %d, nil", v, err, want)
		}
		s.Close()
	}
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		t.Fatalf("sql.Open = %v", err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil || rows != sqlstore.LatestVersion() {
		t.Errorf("schema_migrations rows after two opens = %d, %v; want %d (each migration applied once)", rows, err, sqlstore.LatestVersion())
	}
	var mode string
	if err := db.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("PRAGMA journal_mode = %q, %v; want wal", mode, err)
	}
	// A database migrated by a newer binary is refused, not damaged.
	if _, err := db.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)`); err != nil {
		t.Fatalf("insert future migration = %v", err)
	}
	_, err = sqlite.Open(t.Context(), path, nil)
	if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Errorf("Open(database at version 99) = %v; want an error wrapping ErrSchemaTooNew", err)
	}
}
