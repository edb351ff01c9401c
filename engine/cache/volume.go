// Package cache makes builds fast between runs: it names the Docker volumes
// that hold a pipeline's tool caches (caches = [...] on a step), computes
// the reuse key of a step that declares inputs, and keeps the output files
// of successful steps in a content-addressed store so that a later run with
// the same key restores them instead of running the step. Entries are
// recorded in the state store (state.CacheStore); List and Prune serve
// `pipeline cache ls | prune`.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"

	"github.com/pipeline-cd/pipeline/runners"
)

// Labels set on every cache volume, so that `pipeline cache ls | prune`
// find them (and nothing else).
const (
	LabelCache    = "dev.pipeline.cache" // "true"
	LabelPipeline = "dev.pipeline.cache.pipeline"
	LabelPath     = "dev.pipeline.cache.path"
)

// VolumeName returns the name of the Docker volume holding container path
// p for pipeline: one volume per pipeline and path, the same in every run
// and on every machine, so runs and steps share it.
func VolumeName(pipeline, p string) string {
	sum := sha256.Sum256([]byte(pipeline + "\x00" + p))
	return "pipeline-cache-" + sanitize(pipeline) + "-" + hex.EncodeToString(sum[:])[:12]
}

// HostDir returns where a step on the host (the local runner) keeps the
// cache of container path p: .pipeline/cache/PIPELINE/p below root (the
// repository root). The local runner exports the part before p as
// $PIPELINE_CACHE.
func HostDir(root, pipeline, p string) string {
	return filepath.Join(root, ".pipeline", "cache", sanitize(pipeline), filepath.FromSlash(strings.TrimPrefix(p, "/")))
}

// Caches returns the runner caches of a step of pipeline with the given
// container paths.
func Caches(root, pipeline string, paths []string) []runners.Cache {
	out := make([]runners.Cache, 0, len(paths))
	for _, p := range paths {
		out = append(out, runners.Cache{
			Path:   p,
			Volume: VolumeName(pipeline, p),
			Labels: map[string]string{
				LabelCache: "true", LabelPipeline: pipeline, LabelPath: p,
			},
			HostDir: HostDir(root, pipeline, p),
		})
	}
	return out
}

// sanitize keeps the characters Docker allows in volume names.
func sanitize(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
