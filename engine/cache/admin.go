package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"

	"github.com/pipeline-cd/pipeline/engine/release"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// VolumeClient lists the Docker Engine API calls List and Prune make for
// cache volumes; *client.Client implements it.
type VolumeClient interface {
	VolumeList(ctx context.Context, options volume.ListOptions) (volume.ListResponse, error)
	VolumeRemove(ctx context.Context, volumeID string, force bool) error
	DiskUsage(ctx context.Context, options types.DiskUsageOptions) (types.DiskUsage, error)
}

// Kinds of listed entries.
const (
	KindResult = "result" // a reusable step result
	KindVolume = "volume" // a tool cache volume of Docker steps
	KindDir    = "dir"    // a tool cache directory of host steps
)

// Entry is one thing `pipeline cache ls` shows.
type Entry struct {
	Kind     string
	Pipeline string
	// Name is the step ID (results), the container path (volumes) or the
	// directory (dirs).
	Name string
	// ID is the reuse key (results) or the volume name.
	ID string
	// Size in bytes; -1 when not known.
	Size int64
	// LastUsed is zero when not known (a volume no run of this store used).
	LastUsed time.Time
	// RunID is the run that produced a result.
	RunID string
}

// Admin lists and prunes caches: the results recorded in Store with their
// files below ArtifactDir, the cache volumes in Docker (when Volumes is
// set) and the directories below LocalRoot (the repository's
// .pipeline/cache).
type Admin struct {
	Store       state.CacheStore
	ArtifactDir string
	Volumes     VolumeClient
	LocalRoot   string
}

// List returns the caches of pipeline ("" for every pipeline), results
// first, each kind sorted by pipeline and name.
func (a *Admin) List(ctx context.Context, pipeline string) ([]Entry, error) {
	var out []Entry
	results, err := a.Store.CacheEntries(ctx, state.CacheResult, pipeline)
	if err != nil {
		return nil, err
	}
	for _, e := range results {
		out = append(out, Entry{Kind: KindResult, Pipeline: e.Pipeline, Name: e.Name, ID: e.Key, Size: e.Size, LastUsed: e.UsedAt, RunID: e.RunID})
	}
	vols, err := a.volumes(ctx, pipeline)
	if err != nil {
		return out, err
	}
	out = append(out, vols...)
	dirs, err := a.dirs(pipeline)
	return append(out, dirs...), err
}

// volumes lists the cache volumes in Docker, with their sizes and the
// last use the store recorded.
func (a *Admin) volumes(ctx context.Context, pipeline string) ([]Entry, error) {
	if a.Volumes == nil {
		return nil, nil
	}
	f := filters.NewArgs(filters.Arg("label", LabelCache+"=true"))
	if pipeline != "" {
		f.Add("label", LabelPipeline+"="+pipeline)
	}
	list, err := a.Volumes.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("listing cache volumes: %w", err)
	}
	sizes := map[string]int64{}
	if du, err := a.Volumes.DiskUsage(ctx, types.DiskUsageOptions{Types: []types.DiskUsageObject{types.VolumeObject}}); err == nil {
		for _, v := range du.Volumes {
			if v.UsageData != nil {
				sizes[v.Name] = v.UsageData.Size
			}
		}
	}
	var out []Entry
	for _, v := range list.Volumes {
		e := Entry{Kind: KindVolume, Pipeline: v.Labels[LabelPipeline], Name: v.Labels[LabelPath], ID: v.Name, Size: -1}
		if s, ok := sizes[v.Name]; ok {
			e.Size = s
		}
		if rec, err := a.Store.GetCacheEntry(ctx, state.CacheVolume, v.Name); err == nil {
			e.LastUsed = rec.UsedAt
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pipeline != out[j].Pipeline {
			return out[i].Pipeline < out[j].Pipeline
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// dirs lists LocalRoot/PIPELINE, the tool caches of host steps, with their
// sizes and last modification as last use.
func (a *Admin) dirs(pipeline string) ([]Entry, error) {
	if a.LocalRoot == "" {
		return nil, nil
	}
	ents, err := os.ReadDir(a.LocalRoot)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, d := range ents {
		if !d.IsDir() || (pipeline != "" && d.Name() != sanitize(pipeline)) {
			continue
		}
		dir := filepath.Join(a.LocalRoot, d.Name())
		size, last := du(dir)
		out = append(out, Entry{Kind: KindDir, Pipeline: d.Name(), Name: dir, ID: dir, Size: size, LastUsed: last})
	}
	return out, nil
}

// du returns the bytes of the regular files below dir and the latest
// modification time in it.
func du(dir string) (int64, time.Time) {
	var size int64
	var last time.Time
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil {
			if info.Mode().IsRegular() {
				size += info.Size()
			}
			if info.ModTime().After(last) {
				last = info.ModTime()
			}
		}
		return nil
	})
	return size, last
}

// PruneResult says what Prune removed.
type PruneResult struct {
	Results int   // reusable step results
	Blobs   int   // output files no remaining result refers to
	Volumes int   // cache volumes
	Dirs    int   // host cache directories
	Bytes   int64 // freed, as far as known
}

// Prune removes the caches of pipeline ("" for all) last used before
// before (the zero time: all of them), then the output files no remaining
// result of any pipeline refers to. A volume with no recorded use is only
// removed when before is zero. A volume in use by a container is kept and
// reported in the error.
func (a *Admin) Prune(ctx context.Context, pipeline string, before time.Time) (*PruneResult, error) {
	res := &PruneResult{}
	entries, err := a.List(ctx, pipeline)
	if err != nil {
		return res, err
	}
	old := func(e Entry) bool {
		if before.IsZero() {
			return true
		}
		return !e.LastUsed.IsZero() && e.LastUsed.Before(before)
	}
	var errs []error
	for _, e := range entries {
		if !old(e) {
			continue
		}
		switch e.Kind {
		case KindResult:
			if err := a.Store.DeleteCacheEntry(ctx, state.CacheResult, e.ID); err != nil {
				errs = append(errs, err)
				continue
			}
			res.Results++
		case KindVolume:
			if err := a.Volumes.VolumeRemove(ctx, e.ID, false); err != nil {
				errs = append(errs, fmt.Errorf("removing cache volume %s (%s): %w", e.ID, e.Name, err))
				continue
			}
			_ = a.Store.DeleteCacheEntry(ctx, state.CacheVolume, e.ID)
			res.Volumes++
			res.Bytes += max(e.Size, 0)
		case KindDir:
			if err := os.RemoveAll(e.ID); err != nil {
				errs = append(errs, err)
				continue
			}
			res.Dirs++
			res.Bytes += max(e.Size, 0)
		}
	}
	n, freed, err := a.pruneBlobs(ctx)
	res.Blobs, res.Bytes = n, res.Bytes+freed
	if err != nil {
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

// pruneBlobs removes the files of the output store that no recorded result
// (of any pipeline: the store is shared) refers to.
func (a *Admin) pruneBlobs(ctx context.Context) (int, int64, error) {
	if a.ArtifactDir == "" {
		return 0, 0, nil
	}
	all, err := a.Store.CacheEntries(ctx, state.CacheResult, "")
	if err != nil {
		return 0, 0, err
	}
	keep := map[string]bool{}
	for _, e := range all {
		var files []File
		if err := json.Unmarshal(e.Outputs, &files); err != nil {
			return 0, 0, fmt.Errorf("reading the outputs of result %s: %w", e.Key, err)
		}
		for _, f := range files {
			keep[f.SHA256] = true
		}
	}
	cas := &release.CAS{Root: filepath.Join(a.ArtifactDir, OutputsDir)}
	root := filepath.Join(cas.Root, "sha256")
	n, freed := 0, int64(0)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() || keep[d.Name()] {
			return err
		}
		info, ierr := d.Info()
		if rerr := os.Remove(p); rerr != nil {
			return rerr
		}
		n++
		if ierr == nil {
			freed += info.Size()
		}
		return nil
	})
	return n, freed, err
}
