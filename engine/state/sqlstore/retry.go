package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// DefaultRetryBudget is how long a statement is retried while the
// database is unreachable (a PostgreSQL restart, a failover, a SQLite
// writer holding the lock) before the error reaches the caller.
const DefaultRetryBudget = time.Minute

// RetryBudgetFromEnv returns the retry budget PIPELINE_STATE_RETRY sets (a
// Go duration such as "2m"; "0" turns retries off), else
// DefaultRetryBudget.
func RetryBudgetFromEnv(getenv func(string) string) time.Duration {
	if d, err := time.ParseDuration(getenv("PIPELINE_STATE_RETRY")); err == nil && d >= 0 {
		return d
	}
	return DefaultRetryBudget
}

// retryDB is a *sql.DB whose statements are retried with backoff, for at
// most budget in all, while they fail with an error the dialect calls
// transient (Dialect.IsTransient): a refused or dropped connection, a
// server shutting down, a serialization failure, a busy SQLite file. Only
// ExecContext, QueryContext, QueryRowContext(...).Scan and Store.inTx
// retry; rows already being read are not retried.
//
// A retried statement may run twice when the connection was lost after the
// server applied it but before it answered: inserts then fail on their
// unique keys (ErrConflict) rather than duplicating rows.
type retryDB struct {
	*sql.DB
	transient func(error) bool
	budget    time.Duration
	log       hclog.Logger
	retries   atomic.Int64
}

func (d *retryDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := d.retry(ctx, func() (err error) {
		res, err = d.DB.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func (d *retryDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	var rows *sql.Rows
	err := d.retry(ctx, func() (err error) {
		rows, err = d.DB.QueryContext(ctx, query, args...)
		return err
	})
	return rows, err
}

// QueryRowContext returns a row whose Scan runs the query, retrying it.
func (d *retryDB) QueryRowContext(ctx context.Context, query string, args ...any) *row {
	return &row{d: d, ctx: ctx, query: query, args: args}
}

// row is a deferred single-row query, like *sql.Row.
type row struct {
	d     *retryDB
	ctx   context.Context
	query string
	args  []any
}

// Scan runs the query and scans its first row into dest; no row is
// sql.ErrNoRows.
func (r *row) Scan(dest ...any) error {
	return r.d.retry(r.ctx, func() error { return r.d.DB.QueryRowContext(r.ctx, r.query, r.args...).Scan(dest...) })
}

// retry calls fn until it succeeds, fails with an error that is not
// transient, ctx ends, or the budget is spent; then the error wraps
// state.ErrUnavailable.
func (d *retryDB) retry(ctx context.Context, fn func() error) error {
	err := fn()
	if err == nil || d.transient == nil || !d.transient(err) || d.budget <= 0 {
		return err
	}
	start, delay, attempts := time.Now(), 20*time.Millisecond, 1
	d.log.Warn("the state store did not answer; retrying", "error", err, "for at most", d.budget)
	for {
		if time.Since(start)+delay > d.budget {
			return fmt.Errorf("%w: it did not answer for %s (%d attempts); check that the database is up and reachable: %w",
				state.ErrUnavailable, time.Since(start).Round(time.Millisecond), attempts, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (while retrying: %w)", ctx.Err(), err)
		case <-time.After(delay):
		}
		d.retries.Add(1)
		attempts++
		if err = fn(); err == nil {
			d.log.Warn("the state store answers again", "after", time.Since(start).Round(time.Millisecond), "attempts", attempts)
			return nil
		}
		if !d.transient(err) {
			return err
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// SetRetryBudget sets how long statements are retried while the database
// is unreachable (DefaultRetryBudget unless set); 0 turns retries off.
func (s *Store) SetRetryBudget(budget time.Duration) { s.db.budget = budget }

// Retries returns how many times a statement was retried since the store
// was opened.
func (s *Store) Retries() int64 { return s.db.retries.Load() }
