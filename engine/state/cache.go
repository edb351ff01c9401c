package state

import (
	"context"
	"time"
)

// Kinds of cache entries.
const (
	// CacheResult is a successful step result that a later run may reuse:
	// Key is the step's reuse key, Name its node ID, RunID and Attempt the
	// run and attempt that produced it, Outputs its output files (JSON).
	CacheResult = "result"
	// CacheVolume is a tool cache volume: Key is the volume name, Name the
	// container path it is mounted at.
	CacheVolume = "volume"
)

// CacheEntry is a step result kept for reuse, or the record of a tool
// cache volume's last use.
type CacheEntry struct {
	Kind     string
	Key      string
	Pipeline string
	Name     string
	RunID    string
	Attempt  int
	// Outputs is the JSON list of the result's output files; nil for a
	// volume.
	Outputs   []byte
	Size      int64 // bytes of the outputs (results); 0 when not known
	CreatedAt time.Time
	UsedAt    time.Time
}

// CacheStore records reusable step results and the use of cache volumes.
type CacheStore interface {
	// PutCacheEntry inserts e or replaces the entry with the same kind and
	// key.
	PutCacheEntry(ctx context.Context, e *CacheEntry) error
	// GetCacheEntry returns the entry, or ErrNotFound.
	GetCacheEntry(ctx context.Context, kind, key string) (*CacheEntry, error)
	// TouchCacheEntries sets UsedAt of the entries of kind with the given
	// keys to t, in one transaction; unknown keys are ignored.
	TouchCacheEntries(ctx context.Context, kind string, keys []string, t time.Time) error
	// CacheEntries returns the entries of kind ("" for every kind), of
	// pipeline ("" for every pipeline), ordered by kind, pipeline, name and
	// key.
	CacheEntries(ctx context.Context, kind, pipeline string) ([]*CacheEntry, error)
	// DeleteCacheEntry removes the entry; an unknown one is not an error.
	DeleteCacheEntry(ctx context.Context, kind, key string) error
}
