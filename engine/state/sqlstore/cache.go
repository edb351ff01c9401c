package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

const cacheColumns = `kind, cache_key, pipeline, name, run_id, attempt, outputs, size, created_at, used_at`

// PutCacheEntry implements state.CacheStore.
func (s *Store) PutCacheEntry(ctx context.Context, e *state.CacheEntry) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO cache_entries (`+cacheColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (kind, cache_key) DO UPDATE SET
	pipeline = excluded.pipeline, name = excluded.name, run_id = excluded.run_id, attempt = excluded.attempt,
	outputs = excluded.outputs, size = excluded.size, created_at = excluded.created_at, used_at = excluded.used_at`),
		e.Kind, e.Key, e.Pipeline, e.Name, e.RunID, e.Attempt, e.Outputs, e.Size, ns(e.CreatedAt), ns(e.UsedAt))
	if err != nil {
		return fmt.Errorf("record cache entry %s %s: %w", e.Kind, e.Key, err)
	}
	return nil
}

// GetCacheEntry implements state.CacheStore.
func (s *Store) GetCacheEntry(ctx context.Context, kind, key string) (*state.CacheEntry, error) {
	row := s.db.QueryRowContext(ctx, s.q(`SELECT `+cacheColumns+` FROM cache_entries WHERE kind = ? AND cache_key = ?`), kind, key)
	e, err := scanCacheEntry(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("cache entry %s %s: %w", kind, key, state.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read cache entry %s %s: %w", kind, key, err)
	}
	return e, nil
}

// TouchCacheEntries implements state.CacheStore.
func (s *Store) TouchCacheEntries(ctx context.Context, kind string, keys []string, t time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`UPDATE cache_entries SET used_at = ? WHERE kind = ? AND cache_key = ?`))
		if err != nil {
			return fmt.Errorf("touch cache entries: %w", err)
		}
		defer stmt.Close()
		for _, k := range keys {
			if _, err := stmt.ExecContext(ctx, ns(t), kind, k); err != nil {
				return fmt.Errorf("touch cache entry %s %s: %w", kind, k, err)
			}
		}
		return nil
	})
}

// CacheEntries implements state.CacheStore.
func (s *Store) CacheEntries(ctx context.Context, kind, pipeline string) ([]*state.CacheEntry, error) {
	query := `SELECT ` + cacheColumns + ` FROM cache_entries WHERE (? = '' OR kind = ?) AND (? = '' OR pipeline = ?) ORDER BY kind, pipeline, name, cache_key`
	rows, err := s.db.QueryContext(ctx, s.q(query), kind, kind, pipeline, pipeline)
	if err != nil {
		return nil, fmt.Errorf("list cache entries: %w", err)
	}
	defer rows.Close()
	var out []*state.CacheEntry
	for rows.Next() {
		e, err := scanCacheEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("list cache entries: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cache entries: %w", err)
	}
	return out, nil
}

// DeleteCacheEntry implements state.CacheStore.
func (s *Store) DeleteCacheEntry(ctx context.Context, kind, key string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM cache_entries WHERE kind = ? AND cache_key = ?`), kind, key); err != nil {
		return fmt.Errorf("delete cache entry %s %s: %w", kind, key, err)
	}
	return nil
}

func scanCacheEntry(r scanner) (*state.CacheEntry, error) {
	var e state.CacheEntry
	var created, used int64
	if err := r.Scan(&e.Kind, &e.Key, &e.Pipeline, &e.Name, &e.RunID, &e.Attempt, &e.Outputs, &e.Size, &created, &used); err != nil {
		return nil, err
	}
	e.CreatedAt, e.UsedAt = tm(created), tm(used)
	return &e, nil
}
