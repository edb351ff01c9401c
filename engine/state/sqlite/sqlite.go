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
}

func errorCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// DSN returns the driver data source name for the database file at path,
// with the pragmas the store relies on.
func DSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
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
	s, err := sqlstore.New(ctx, db, Dialect, logger.Named("sqlite").With("path", path))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite state store %s: %w", path, err)
	}
	return s, nil
}
