package sqlite_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/engine/state/sqlstore"
)

// TestBackupRestore backs up a live store, changes it, restores the backup
// under the open store and sees the old content; bad backups are refused.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	path, backup := filepath.Join(dir, "state.db"), filepath.Join(dir, "backup.db")
	s, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustRun := func(id string) {
		t.Helper()
		if err := s.CreateRun(t.Context(), &state.Run{ID: id, Pipeline: "web", Kind: "run", Status: state.StatusSucceeded}); err != nil {
			t.Fatal(err)
		}
	}
	mustRun("r1")
	if err := sqlite.Backup(t.Context(), path, backup); err != nil {
		t.Fatalf("Backup = %v", err)
	}
	if err := sqlite.Backup(t.Context(), path, backup); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("Backup onto an existing file = %v; want a refusal", err)
	}
	mustRun("r2")
	if err := sqlite.Restore(t.Context(), path, backup); err != nil {
		t.Fatalf("Restore = %v", err)
	}
	if _, err := s.GetRun(t.Context(), "r1"); err != nil {
		t.Errorf("GetRun(r1) after restore = %v; want it back", err)
	}
	if _, err := s.GetRun(t.Context(), "r2"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("GetRun(r2) after restoring a backup without it = %v; want ErrNotFound", err)
	}

	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("not a database ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Restore(t.Context(), path, text); err == nil {
		t.Errorf("Restore(text file) = nil; want a refusal")
	}
	db, err := sql.Open("sqlite", sqlite.DSN(backup))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := sqlite.Restore(t.Context(), path, backup); !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Errorf("Restore(newer schema) = %v; want ErrSchemaTooNew", err)
	}
	if _, err := s.GetRun(t.Context(), "r1"); err != nil {
		t.Errorf("GetRun(r1) after refused restores = %v; want the store untouched", err)
	}
}

// TestBackupFileNamesAreLiteral: a backup file name with ?, # or % is a
// file name, not a SQLite URI: the backup lands under that exact name and
// restores from it, and an existing file that the name's prefix would
// reach is not overwritten.
func TestBackupFileNamesAreLiteral(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	s, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateRun(t.Context(), &state.Run{ID: "r1", Pipeline: "web", Kind: "run", Status: state.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(dir, "nightly")
	if err := os.WriteFile(prefix, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	backup := prefix + "?v=1#%41.db"
	if err := sqlite.Backup(t.Context(), path, backup); err != nil {
		t.Fatalf("Backup(%q) = %v", backup, err)
	}
	if _, err := os.Stat(backup); err != nil {
		t.Errorf("the backup is not at %q: %v", backup, err)
	}
	if b, _ := os.ReadFile(prefix); string(b) != "keep me" {
		t.Errorf("Backup(%q) overwrote %s", backup, prefix)
	}
	if err := sqlite.Restore(t.Context(), path, backup); err != nil {
		t.Errorf("Restore(%q) = %v", backup, err)
	}
	missing := filepath.Join(dir, "no-such-dir", "b.db")
	if err := sqlite.Backup(t.Context(), path, missing); err == nil || !strings.Contains(err.Error(), "no-such-dir does not exist") {
		t.Errorf("Backup into a missing directory = %v; want a refusal naming the directory", err)
	}
	if err := sqlite.Backup(t.Context(), path, dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("Backup to a directory = %v; want a refusal naming the directory", err)
	}
}
