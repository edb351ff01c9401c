package statetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// testCache checks the cache entries: put, replace, get, touch, list and
// delete.
func testCache(t *testing.T, s state.Store) {
	ctx := t.Context()
	if _, err := s.GetCacheEntry(ctx, state.CacheResult, "sha256:none"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("GetCacheEntry(unknown) = %v; want ErrNotFound", err)
	}
	res := &state.CacheEntry{
		Kind: state.CacheResult, Key: "sha256:aa", Pipeline: "web", Name: "build.web.compile",
		RunID: "r-1", Attempt: 2, Outputs: []byte(`[{"path":"dist/a"}]`), Size: 12,
		CreatedAt: t0, UsedAt: t0,
	}
	vol := &state.CacheEntry{Kind: state.CacheVolume, Key: "pipeline-cache-web-1", Pipeline: "web", Name: "/root/go/pkg/mod", CreatedAt: t0, UsedAt: t0}
	other := &state.CacheEntry{Kind: state.CacheResult, Key: "sha256:bb", Pipeline: "api", Name: "build.api.x", RunID: "r-2", Attempt: 1, CreatedAt: t0, UsedAt: t0}
	for _, e := range []*state.CacheEntry{res, vol, other} {
		if err := s.PutCacheEntry(ctx, e); err != nil {
			t.Fatalf("PutCacheEntry(%s) = %v", e.Key, err)
		}
	}
	got, err := s.GetCacheEntry(ctx, state.CacheResult, "sha256:aa")
	if err != nil {
		t.Fatalf("GetCacheEntry = %v", err)
	}
	if diff := cmp.Diff(res, got, diffOpts...); diff != "" {
		t.Errorf("GetCacheEntry mismatch (-want +got):\n%s", diff)
	}
	// Replacing keeps one entry with the new values.
	res.RunID, res.Attempt = "r-3", 1
	if err := s.PutCacheEntry(ctx, res); err != nil {
		t.Fatalf("PutCacheEntry(replace) = %v", err)
	}
	later := t0.Add(time.Hour)
	if err := s.TouchCacheEntries(ctx, state.CacheResult, []string{"sha256:aa", "sha256:unknown"}, later); err != nil {
		t.Fatalf("TouchCacheEntries = %v", err)
	}
	got, err = s.GetCacheEntry(ctx, state.CacheResult, "sha256:aa")
	if err != nil {
		t.Fatalf("GetCacheEntry = %v", err)
	}
	if got.RunID != "r-3" || !got.UsedAt.Equal(later) || !got.CreatedAt.Equal(t0) {
		t.Errorf("after replace and touch: run %s used %v created %v; want r-3, %v, %v", got.RunID, got.UsedAt, got.CreatedAt, later, t0)
	}
	list := func(kind, pipeline string) []string {
		t.Helper()
		es, err := s.CacheEntries(ctx, kind, pipeline)
		if err != nil {
			t.Fatalf("CacheEntries(%q, %q) = %v", kind, pipeline, err)
		}
		var keys []string
		for _, e := range es {
			keys = append(keys, e.Key)
		}
		return keys
	}
	for _, tt := range []struct {
		kind, pipeline string
		want           []string
	}{
		{"", "", []string{"sha256:bb", "sha256:aa", "pipeline-cache-web-1"}},
		{state.CacheResult, "", []string{"sha256:bb", "sha256:aa"}},
		{"", "web", []string{"sha256:aa", "pipeline-cache-web-1"}},
		{state.CacheVolume, "api", nil},
	} {
		if diff := cmp.Diff(tt.want, list(tt.kind, tt.pipeline)); diff != "" {
			t.Errorf("CacheEntries(%q, %q) mismatch (-want +got):\n%s", tt.kind, tt.pipeline, diff)
		}
	}
	if err := s.DeleteCacheEntry(ctx, state.CacheResult, "sha256:aa"); err != nil {
		t.Fatalf("DeleteCacheEntry = %v", err)
	}
	if err := s.DeleteCacheEntry(ctx, state.CacheResult, "sha256:aa"); err != nil {
		t.Errorf("DeleteCacheEntry(again) = %v; want nil", err)
	}
	if _, err := s.GetCacheEntry(ctx, state.CacheResult, "sha256:aa"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("GetCacheEntry(deleted) = %v; want ErrNotFound", err)
	}
}
