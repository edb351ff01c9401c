package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

type cacheKey struct{ kind, key string }

// PutCacheEntry implements state.CacheStore.
func (s *Store) PutCacheEntry(_ context.Context, e *state.CacheEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.caches == nil {
		s.caches = map[cacheKey]*state.CacheEntry{}
	}
	s.caches[cacheKey{e.Kind, e.Key}] = copyCacheEntry(e)
	return nil
}

// GetCacheEntry implements state.CacheStore.
func (s *Store) GetCacheEntry(_ context.Context, kind, key string) (*state.CacheEntry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.caches[cacheKey{kind, key}]
	if !ok {
		return nil, fmt.Errorf("cache entry %s %s: %w", kind, key, state.ErrNotFound)
	}
	return copyCacheEntry(e), nil
}

// TouchCacheEntries implements state.CacheStore.
func (s *Store) TouchCacheEntries(_ context.Context, kind string, keys []string, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if e, ok := s.caches[cacheKey{kind, k}]; ok {
			e.UsedAt = t.UTC().Round(0)
		}
	}
	return nil
}

// CacheEntries implements state.CacheStore.
func (s *Store) CacheEntries(_ context.Context, kind, pipeline string) ([]*state.CacheEntry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*state.CacheEntry
	for _, e := range s.caches {
		if (kind == "" || e.Kind == kind) && (pipeline == "" || e.Pipeline == pipeline) {
			out = append(out, copyCacheEntry(e))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Pipeline != b.Pipeline {
			return a.Pipeline < b.Pipeline
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Key < b.Key
	})
	return out, nil
}

// DeleteCacheEntry implements state.CacheStore.
func (s *Store) DeleteCacheEntry(_ context.Context, kind, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.caches, cacheKey{kind, key})
	return nil
}

func copyCacheEntry(e *state.CacheEntry) *state.CacheEntry {
	c := *e
	c.Outputs = slices.Clone(e.Outputs)
	c.CreatedAt, c.UsedAt = e.CreatedAt.UTC().Round(0), e.UsedAt.UTC().Round(0)
	return &c
}
