// Package images builds the step images a pipeline declares with
// top-level image blocks (image "go" { context = "ci" }): through the Docker
// Engine API, tagged by the digest of their build context, Dockerfile and
// build args, and not rebuilt while that digest has an image in the engine.
// No registry is involved.
package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/containerd/errdefs"

	"github.com/pipeline-cd/pipeline/engine/release"
)

// Labels set on every step image.
const (
	LabelPipeline = "dev.pipeline.pipeline"
	LabelImage    = "dev.pipeline.step-image"
	LabelDigest   = "dev.pipeline.context-digest"
)

// Spec is one image block, evaluated.
type Spec struct {
	Pipeline string
	Name     string
	// Context is the image's context attribute, relative to Dir, the
	// pipeline directory.
	Dir        string
	Context    string
	Dockerfile string
	Args       map[string]string
}

// Image is a step image present in the engine.
type Image struct {
	Tag    string // "pipeline-step/PIPELINE-NAME:DIGEST12"
	ID     string // "sha256:..."
	Digest string // of the build context
	Built  bool   // false when an image with this digest was there already
	// Output is the build's output; empty when nothing was built.
	Output string
}

// ContextDir resolves an image's context attribute against the pipeline
// directory. It is the one place that turns a context into a host path.
func ContextDir(pipelineDir, context string) (string, error) {
	if clean := filepath.Clean(filepath.FromSlash(context)); filepath.IsAbs(clean) || !filepath.IsLocal(clean) {
		return "", fmt.Errorf("the context %q leaves the pipeline directory %s", context, pipelineDir)
	}
	return filepath.Join(pipelineDir, filepath.FromSlash(context)), nil
}

// Plan returns the tag and context digest spec would be built with,
// without talking to the engine (for plan and dry run).
func Plan(spec Spec) (tag, digest string, err error) {
	dir, err := ContextDir(spec.Dir, spec.Context)
	if err != nil {
		return "", "", fmt.Errorf("image %s: %w", spec.Name, err)
	}
	digest, err = release.ContextDigest(dir, spec.Dockerfile, spec.Args)
	if err != nil {
		return "", "", fmt.Errorf("image %s: %w", spec.Name, err)
	}
	return Tag(spec.Pipeline, spec.Name, digest), digest, nil
}

var tagUnsafe = regexp.MustCompile(`[^a-z0-9._-]+`)

// Tag returns the local tag of a step image with the given context digest.
func Tag(pipeline, name, digest string) string {
	repo := strings.Trim(tagUnsafe.ReplaceAllString(strings.ToLower(pipeline+"-"+name), "-"), "-._")
	if repo == "" {
		repo = "image"
	}
	return "pipeline-step/" + repo + ":" + strings.TrimPrefix(digest, "sha256:")[:16]
}

// Ensure returns the image of spec, building it through b unless an image
// with its tag (its context digest) is in the engine already.
func Ensure(ctx context.Context, b release.ImageBuilder, spec Spec) (*Image, error) {
	tag, digest, err := Plan(spec)
	if err != nil {
		return nil, err
	}
	if insp, err := b.ImageInspect(ctx, tag); err == nil {
		return &Image{Tag: tag, ID: insp.ID, Digest: digest}, nil
	} else if !errdefs.IsNotFound(err) {
		return nil, fmt.Errorf("image %s: inspecting %s: %w", spec.Name, tag, err)
	}
	dir, _ := ContextDir(spec.Dir, spec.Context)
	var out bytes.Buffer
	img, err := release.BuildImage(ctx, b, release.ImageSpec{
		Name: spec.Name, ContextDir: dir, Dockerfile: spec.Dockerfile, Tag: tag, Args: spec.Args,
		Labels: map[string]string{LabelPipeline: spec.Pipeline, LabelImage: spec.Name, LabelDigest: digest},
	}, &out)
	if err != nil {
		if errors.Is(err, release.ErrImageBuild) {
			return nil, fmt.Errorf("%w\n%s", err, tail(out.String(), 20))
		}
		return nil, err
	}
	return &Image{Tag: tag, ID: img.ID, Digest: digest, Built: true, Output: out.String()}, nil
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
