// Package sqlite opens the SQLite state store: one file, no set-up, pure Go
// (modernc.org/sqlite, no cgo). It is the default store, kept at
// .pipeline/state.db in the root of the git repository.
//
// The database runs in WAL mode with synchronous=NORMAL: a commit is durable
// against a crash of the process, and one written in the last moments before
// a power loss may be lost, but the database is never corrupted. Every write
// transaction begins IMMEDIATE, so two processes never deadlock upgrading a
// read lock; a writer waits up to BusyTimeout for another.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pipeline-cd/pipeline/engine/state/sqlstore"
)

// BusyTimeout is how long a writer waits for another process's write
// transaction before it fails with "database is locked".
const BusyTimeout = 10 * time.Second

// Dialect is the SQLite dialect of the shared SQL store.
var Dialect = &sqlstore.Dialect{
	Name: "sqlite",
	Types: map[string]string{
		"text":   "TEXT",
		"blob":   "BLOB",
		"serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
	},
	IsUniqueViolation: func(err error) bool {
		return errorCode(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE || errorCode(err) == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	IsForeignKeyViolation: func(err error) bool {
		return errorCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	},
	// Busy and locked outlast the busy timeout only under heavy write
	// contention; the store's retry budget then waits longer.
	IsTransient: func(err error) bool {
		c := errorCode(err) & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	},
}

func errorCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// DSN returns the driver data source name for the database file at path,
// with the per-connection pragmas the store relies on. The journal mode is
// a property of the file, set once by Open.
func DSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return "file:" + uriPath.Replace(path) + "?" + q.Encode()
}

// uriPath escapes the characters that end or escape the path of a SQLite
// "file:" URI.
var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// Open opens (creating it and its parent directories when missing) the
// SQLite database at path and applies pending migrations. The store owns
// the database; Close closes it.
func Open(ctx context.Context, path string, logger hclog.Logger) (*sqlstore.Store, error) {
	if path == "" {
		return nil, errors.New("sqlite state store: empty path; pass a file path such as .pipeline/state.db")
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite state store %s: create its directory: %w", path, err)
	}
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite state store %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite state store %s: open: %w; check that the file is a SQLite database and its directory is writable", path, err)
	}
	if err := enableWAL(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite state store %s: enable WAL mode: %w", path, err)
	}
	s, err := sqlstore.New(ctx, db, Dialect, logger.Named("sqlite").With("path", path))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite state store %s: %w", path, err)
	}
	return s, nil
}

// enableWAL switches the file to write-ahead logging, which persists in the
// file. The switch needs an exclusive lock and SQLite reports SQLITE_BUSY
// at once, without its busy handler, when another process opens the same
// new file at that moment; so it retries until BusyTimeout.
func enableWAL(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(BusyTimeout)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		var mode string
		err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return fmt.Errorf("the journal mode stayed %q", mode)
		case errorCode(err)&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline):
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}
