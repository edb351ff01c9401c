// Package sqlstore is the one SQL implementation of state.Store, shared by
// the SQLite and PostgreSQL back ends. A Dialect supplies the few
// differences (placeholders, column types, migration locking, error codes).
// Times are stored as Unix nanoseconds in UTC (0 for the zero time) so that
// both databases order and compare them the same way.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// Store is a state.Store over a *sql.DB. It is safe for concurrent use by
// several goroutines and, through the database's own locking, by several
// processes.
type Store struct {
	db      *retryDB
	dialect *Dialect
	log     hclog.Logger
	queries sync.Map // query text -> rebound query text
}

var _ state.Store = (*Store)(nil)

// New applies pending migrations to db and returns a Store that owns db:
// Close closes it. A nil logger discards log output.
func New(ctx context.Context, db *sql.DB, d *Dialect, logger hclog.Logger) (*Store, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	s := &Store{db: &retryDB{DB: db, transient: d.IsTransient, budget: RetryBudgetFromEnv(os.Getenv), log: logger}, dialect: d, log: logger}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the database connections.
func (s *Store) Close() error { return s.db.Close() }

// q returns query rebound for the dialect, cached.
func (s *Store) q(query string) string {
	if !s.dialect.Numbered {
		return query
	}
	if v, ok := s.queries.Load(query); ok {
		return v.(string)
	}
	r := s.dialect.rebind(query)
	s.queries.Store(query, r)
	return r
}

// inTx runs fn in one write transaction, committing when fn returns nil.
// The whole transaction is retried while it fails with a transient error
// (see retryDB), so fn must do nothing but its statements.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.db.retry(ctx, func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin transaction: %w", err)
		}
		if err := fn(tx); err != nil {
			_ = tx.Rollback() // the transaction already failed; fn's error is the one to report
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	})
}

// classify maps constraint violations to the state sentinels: a unique
// violation to dup and a foreign key violation to ErrNotFound.
func (s *Store) classify(err, dup error) error {
	switch {
	case err == nil:
		return nil
	case s.dialect.IsUniqueViolation != nil && s.dialect.IsUniqueViolation(err):
		return fmt.Errorf("%w: %w", dup, err)
	case s.dialect.IsForeignKeyViolation != nil && s.dialect.IsForeignKeyViolation(err):
		return fmt.Errorf("%w: %w", state.ErrNotFound, err)
	}
	return err
}

// notFound turns sql.ErrNoRows into state.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return state.ErrNotFound
	}
	return err
}

// mustAffect returns ErrNotFound when res changed no row.
func mustAffect(res sql.Result, none error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rows affected: %w", err)
	}
	if n == 0 {
		return none
	}
	return nil
}

// ns encodes t as Unix nanoseconds; the zero time is 0.
func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// tm decodes ns.
func tm(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
