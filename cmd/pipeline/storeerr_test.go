package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/pipeline-cd/pipeline/engine/state/backend"
)

// TestStoreErrorsUseDocumentedExitCodes checks that a SQLite error never
// becomes the exit code (its result codes have a Code() method) and that
// the CLI explains it: a file that is not a database (SQLITE_NOTADB, 26)
// through the CLI, and a busy database (SQLITE_BUSY, 5) through exitCode
// and the explanation run prints.
func TestStoreErrorsUseDocumentedExitCodes(t *testing.T) {
	t.Setenv("PIPELINE_STATE", "")
	garbage := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 20)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"runs"}, {"history"}, {"run", "--runner", "local"}} {
		dir := writeFiles(t, map[string]string{"pipeline.hcl": envPipeline})
		code, _, stderr := runCLI(t, append(args, "-C", dir, "--state", garbage)...)
		if code != exitFailed {
			t.Errorf("pipeline %v on a garbage state file exit code = %d; want %d (stderr %q)", args, code, exitFailed, stderr)
		}
		if !strings.Contains(stderr, "not a SQLite database or is damaged") {
			t.Errorf("pipeline %v on a garbage state file stderr = %q; want the explanation", args, stderr)
		}
	}

	path := filepath.Join(t.TempDir(), "busy.db")
	holder, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	holder.SetMaxOpenConns(1)
	if _, err := holder.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	tx, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, busy := other.Exec(`INSERT INTO t VALUES (2)`)
	if busy == nil {
		t.Fatal("a second writer got through a held write lock; want SQLITE_BUSY")
	}
	wrapped := fmt.Errorf("recording run r-1: %w", busy)
	if code := exitCode(wrapped); code != exitFailed {
		t.Errorf("exitCode(%v) = %d; want %d", wrapped, code, exitFailed)
	}
	if why := backend.Explain(wrapped); !strings.Contains(why, "locked by another pipeline process") {
		t.Errorf("explanation of %v = %q; want it to say another process holds the store", wrapped, why)
	}
}
