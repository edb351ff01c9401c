package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/pipeline-cd/pipeline/engine/release"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// OutputsDir is the folder of the artifact store that holds the output
// files of reusable steps: a content-addressed store of its own, so that
// pruning it never touches a release's artifacts, and shared by every
// machine that shares the artifact store.
const OutputsDir = "step-outputs"

// Cache reuses step results for one process. It is safe for concurrent use
// by the steps of a run.
type Cache struct {
	store state.CacheStore
	cas   *release.CAS
	now   func() time.Time
	// Hasher computes keys; its file digests are shared by every step.
	Hasher Hasher

	mu      sync.Mutex
	touched []string
}

// New returns a Cache that records entries in store and keeps output files
// below artifactDir/OutputsDir. A nil clock means time.Now.
func New(store state.CacheStore, artifactDir string, clock func() time.Time) *Cache {
	if clock == nil {
		clock = time.Now
	}
	return &Cache{store: store, cas: &release.CAS{Root: filepath.Join(artifactDir, OutputsDir)}, now: clock}
}

// Hit is a recorded successful result that a step may reuse.
type Hit struct {
	Key     string
	RunID   string
	NodeID  string
	Attempt int
	Files   []File
}

// Lookup returns the recorded result with key, or nil when there is none
// or when one of its output files is no longer in the store (the step then
// runs, and its result replaces the entry).
func (c *Cache) Lookup(ctx context.Context, key string) (*Hit, error) {
	e, err := c.store.GetCacheEntry(ctx, state.CacheResult, key)
	if errors.Is(err, state.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var files []File
	if len(e.Outputs) > 0 {
		if err := json.Unmarshal(e.Outputs, &files); err != nil {
			return nil, nil // an entry this binary cannot read is a miss
		}
	}
	if !haveBlobs(c.cas, files) {
		return nil, nil
	}
	return &Hit{Key: key, RunID: e.RunID, NodeID: e.Name, Attempt: e.Attempt, Files: files}, nil
}

// Restore writes the hit's output files into workspace and remembers that
// the entry was used (see Flush). It returns how many files it wrote: a
// file already in place with the same content and mode is left alone.
func (c *Cache) Restore(workspace string, h *Hit) (int, error) {
	var todo []File
	for _, f := range h.Files {
		// A file already in place with the same content and mode is left
		// alone: no write, and its modification time stays.
		d, mode, err := c.Hasher.digest(filepath.Join(workspace, filepath.FromSlash(f.Path)))
		if err != nil || d != f.SHA256 || mode != f.Mode.Perm() {
			todo = append(todo, f)
		}
	}
	if err := restoreOutputs(c.cas, workspace, todo); err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.touched = append(c.touched, h.Key)
	c.mu.Unlock()
	return len(todo), nil
}

// Result is a successful step to record for reuse.
type Result struct {
	Key      string
	Pipeline string
	NodeID   string
	RunID    string
	Attempt  int
	// Outputs are the step's output globs; the files they match in
	// Workspace are stored.
	Outputs   []string
	Workspace string
}

// Save stores the result's output files and records the entry.
func (c *Cache) Save(ctx context.Context, r Result) error {
	files, err := saveOutputs(c.cas, r.Workspace, r.Outputs)
	if err != nil {
		return fmt.Errorf("keeping the outputs of %s for reuse: %w", r.NodeID, err)
	}
	var size int64
	for _, f := range files {
		size += f.Size
	}
	data, err := json.Marshal(files)
	if err != nil {
		return err
	}
	now := c.now()
	return c.store.PutCacheEntry(ctx, &state.CacheEntry{
		Kind: state.CacheResult, Key: r.Key, Pipeline: r.Pipeline, Name: r.NodeID,
		RunID: r.RunID, Attempt: r.Attempt, Outputs: data, Size: size, CreatedAt: now, UsedAt: now,
	})
}

// UsedVolumes records that the run used the cache volumes (name -> path)
// of pipeline now.
func (c *Cache) UsedVolumes(ctx context.Context, pipeline string, volumes map[string]string) error {
	now := c.now()
	for name, path := range volumes {
		e, err := c.store.GetCacheEntry(ctx, state.CacheVolume, name)
		created := now
		if err == nil {
			created = e.CreatedAt
		}
		if err := c.store.PutCacheEntry(ctx, &state.CacheEntry{
			Kind: state.CacheVolume, Key: name, Pipeline: pipeline, Name: path, CreatedAt: created, UsedAt: now,
		}); err != nil {
			return err
		}
	}
	return nil
}

// Flush records the last use of every entry restored since the last
// Flush, in one transaction.
func (c *Cache) Flush(ctx context.Context) error {
	c.mu.Lock()
	keys := c.touched
	c.touched = nil
	c.mu.Unlock()
	return c.store.TouchCacheEntries(ctx, state.CacheResult, keys, c.now())
}
