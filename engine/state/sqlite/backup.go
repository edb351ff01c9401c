package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"modernc.org/sqlite"

	"github.com/pipeline-cd/pipeline/engine/state/sqlstore"
)

// rawConn is the online backup API of modernc.org/sqlite's connections.
type rawConn interface {
	NewBackup(dstURI string) (*sqlite.Backup, error)
	NewRestore(srcURI string) (*sqlite.Backup, error)
}

// Backup writes a consistent copy of the database at path to dst through
// SQLite's online backup API, while other processes go on reading and
// writing. dst must not exist.
func Backup(ctx context.Context, path, dst string) error {
	if fi, err := os.Stat(dst); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("backup %s: it is a directory; name a new file in it (e.g. %s)", dst, filepath.Join(dst, "pipeline-state.db"))
		}
		return fmt.Errorf("backup %s: the file exists; choose a new name, a backup never overwrites", dst)
	}
	if fi, err := os.Stat(filepath.Dir(dst)); err != nil || !fi.IsDir() {
		return fmt.Errorf("backup %s: the directory %s does not exist; create it first", dst, filepath.Dir(dst))
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup of %s: %w", path, err)
	}
	return withRaw(ctx, path, func(c rawConn) error {
		b, err := c.NewBackup(fileURI(dst))
		if err != nil {
			return err
		}
		return step(b)
	})
}

// Restore replaces the content of the database at path with the backup in
// src, through SQLite's online backup API: it waits (up to BusyTimeout) for
// writers of path to finish, and other processes see either the old or the
// restored content, never a mix. src must be a pipeline state database
// that passes SQLite's integrity check and whose schema this binary knows.
func Restore(ctx context.Context, path, src string) error {
	if err := CheckFile(ctx, src); err != nil {
		return err
	}
	// A new machine or checkout has no store yet: the restore creates it.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("restore into %s: %w", path, err)
	}
	return withRaw(ctx, path, func(c rawConn) error {
		b, err := c.NewRestore(fileURI(src))
		if err != nil {
			return err
		}
		return step(b)
	})
}

// CheckFile reports whether the file at path is a pipeline state database
// this binary can open: a SQLite file that passes PRAGMA integrity_check,
// with a schema_migrations table at a version no newer than this binary's.
func CheckFile(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+uriPath.Replace(path)+"?mode=ro")
	if err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil {
		return fmt.Errorf("state file %s is not a SQLite database: %w", path, err)
	}
	if ok != "ok" {
		return fmt.Errorf("state file %s fails SQLite's integrity check: %s", path, ok)
	}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("state file %s is not a pipeline state database (no schema_migrations table): %w", path, err)
	}
	if v > sqlstore.LatestVersion() {
		return fmt.Errorf("%w: %s is at schema version %d, this binary knows up to %d", sqlstore.ErrSchemaTooNew, path, v, sqlstore.LatestVersion())
	}
	return nil
}

// fileURI is the SQLite URI of the file at path, so that ?, # and % in
// its name are part of the name.
func fileURI(path string) string { return "file:" + uriPath.Replace(path) }

func step(b *sqlite.Backup) error {
	for more := true; more; {
		var err error
		if more, err = b.Step(-1); err != nil {
			_ = b.Finish()
			return err
		}
	}
	return b.Finish()
}

func withRaw(ctx context.Context, path string, fn func(rawConn) error) error {
	db, err := sql.Open("sqlite", DSN(path))
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(rawConn)
		if !ok {
			return errors.New("the SQLite driver has no online backup API")
		}
		return fn(c)
	})
}
