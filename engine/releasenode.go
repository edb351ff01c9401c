package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/confine"
	"github.com/pipeline-cd/pipeline/engine/outputs"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/release"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// createRelease copies the artifacts into the content-addressed store,
// builds the images and then records the release in one store
// transaction, so a killed process leaves at worst orphan blobs, never a
// half release. A release this run already created (a crash between
// recording the release and the run) is reused.
func (s *session) createRelease(ctx context.Context, n *plan.Node) error {
	e := s.e
	if r, err := s.existingRelease(ctx); r != nil || err != nil {
		if err == nil {
			s.setRelease(r)
		}
		return err
	}
	r := &state.Release{Pipeline: s.run.Pipeline, Version: s.rec.Version, Commit: s.run.Commit,
		Branch: s.run.Branch, Author: s.run.Author, ConfigDigest: s.run.ConfigDigest, RunID: s.run.ID}
	for _, a := range n.Release.Artifacts {
		art, err := s.collectArtifact(a)
		if err != nil {
			return err
		}
		r.Artifacts = append(r.Artifacts, art)
	}
	for _, im := range n.Release.Images {
		img, err := s.buildImage(ctx, im)
		if err != nil {
			return err
		}
		r.Images = append(r.Images, img)
	}
	out, err := s.packageOutputs(ctx)
	if err != nil {
		return err
	}
	r.Outputs = out
	r.Digest = release.Digest(r)
	r.CreatedAt = e.now()
	if err := e.store.CreateRelease(ctx, r); err != nil {
		if errors.Is(err, state.ErrReleaseExists) {
			if other, gerr := e.store.ReleaseByVersion(ctx, r.Pipeline, r.Version); gerr == nil {
				return releaseExists(other, s.run.Commit)
			}
		}
		return fmt.Errorf("recording release %s: %w", r.Version, err)
	}
	s.run.ReleaseID = r.ID
	if err := e.store.UpdateRun(ctx, s.run); err != nil {
		return fmt.Errorf("recording the release of run %s: %w", s.run.ID, err)
	}
	s.setRelease(r)
	return nil
}

// existingRelease returns the release this run already created, if any.
func (s *session) existingRelease(ctx context.Context) (*state.Release, error) {
	if s.run.ReleaseID != "" {
		r, err := s.e.store.GetRelease(ctx, s.run.ReleaseID)
		if err != nil {
			return nil, fmt.Errorf("reading release of run %s: %w", s.run.ID, err)
		}
		return r, nil
	}
	r, err := s.e.store.ReleaseByVersion(ctx, s.run.Pipeline, s.rec.Version)
	switch {
	case errors.Is(err, state.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading releases: %w", err)
	case r.RunID != s.run.ID:
		return nil, releaseExists(r, s.run.Commit)
	}
	s.run.ReleaseID = r.ID
	if err := s.e.store.UpdateRun(ctx, s.run); err != nil {
		return nil, fmt.Errorf("recording the release of run %s: %w", s.run.ID, err)
	}
	return r, nil
}

// setRelease makes the release values known to the steps that follow.
func (s *session) setRelease(r *state.Release) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rel = r
	vals := &dsl.ReleaseValues{Version: r.Version, Branch: r.Branch, Commit: r.Commit, Artifacts: map[string]string{}, Images: map[string]string{}}
	for _, a := range r.Artifacts {
		if s.e.cas != nil {
			vals.Artifacts[a.Name] = s.e.cas.Path(a.SHA256)
		}
	}
	for _, im := range r.Images {
		vals.Images[im.Name] = im.ID
	}
	if out, err := outputs.DecodeRelease(r.Outputs); err != nil {
		s.e.logger.Warn("the release's outputs cannot be read; release.outputs stays unknown", "release", r.Version, "error", err)
	} else {
		vals.Outputs = out
	}
	s.scope.Release = vals
}

func (s *session) collectArtifact(a plan.ReleaseArtifact) (state.Artifact, error) {
	if s.e.cas == nil {
		return state.Artifact{}, errors.New("no artifact store is configured")
	}
	p, err := s.known(a.Path, "path of artifact "+a.Name)
	if err != nil {
		return state.Artifact{}, err
	}
	abs := p
	if !filepath.IsAbs(p) {
		abs = filepath.Join(s.res.AbsDir, p)
	}
	// A step may leave a symbolic link where the artifact should be:
	// only a regular file inside the repository is collected, and it is
	// opened once, through the root, so that a link swapped in after the
	// check cannot lead out either.
	f, err := s.openConfined(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return state.Artifact{}, fmt.Errorf("artifact %s of %s: %w: %s does not exist; did the package stage's steps create it?",
			a.Name, a.Stage, release.ErrArtifactMissing, p)
	}
	if err != nil {
		return state.Artifact{}, fmt.Errorf("artifact %s of %s: path %q: %w", a.Name, a.Stage, p, err)
	}
	defer f.Close()
	sum, size, err := s.e.cas.PutFile(f)
	if err != nil {
		return state.Artifact{}, fmt.Errorf("artifact %s of %s: %w", a.Name, a.Stage, err)
	}
	return state.Artifact{Name: a.Name, Path: p, SHA256: sum, Size: size}, nil
}

var tagUnsafe = regexp.MustCompile(`[^a-z0-9._-]+`)

func (s *session) buildImage(ctx context.Context, im plan.ReleaseImage) (state.Image, error) {
	if s.e.opts.Images == nil {
		return state.Image{}, fmt.Errorf("image %s of %s needs the Docker engine to build it, and none is connected; start dockerd or set DOCKER_HOST", im.Name, im.Stage)
	}
	dir, err := s.known(im.Context, "context of image "+im.Name)
	if err != nil {
		return state.Image{}, err
	}
	dockerfile := ""
	if im.Dockerfile.Known {
		dockerfile = im.Dockerfile.Value
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(s.res.AbsDir, dir)
	}
	ctxDir := dir
	if dir, err = s.confined(ctxDir, true); err != nil {
		return state.Image{}, fmt.Errorf("image %s of %s: context %q: %w", im.Name, im.Stage, im.Context.Value, err)
	}
	df := dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	if _, err := s.confined(filepath.Join(ctxDir, df), false); err != nil {
		return state.Image{}, fmt.Errorf("image %s of %s: dockerfile %q: %w", im.Name, im.Stage, df, err)
	}
	repo := tagUnsafe.ReplaceAllString(strings.ToLower(s.run.Pipeline+"-"+im.Name), "-")
	version := tagUnsafe.ReplaceAllString(strings.ToLower(s.rec.Version), "-")
	var out bytes.Buffer
	img, err := release.BuildImage(ctx, s.e.opts.Images, release.ImageSpec{Name: im.Name, ContextDir: dir,
		Dockerfile: dockerfile, Tag: "pipeline/" + repo + ":" + version,
		Labels: map[string]string{"dev.pipeline.pipeline": s.run.Pipeline, "dev.pipeline.version": s.rec.Version}}, &out)
	if err != nil {
		return state.Image{}, fmt.Errorf("%w\n%s", err, tail(out.String(), 20))
	}
	return img, nil
}

func (s *session) known(t dsl.Text, what string) (string, error) {
	if !t.Known {
		return "", fmt.Errorf("the %s is %s; it must be known when the release is created", what, t.Display())
	}
	return t.Value, nil
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// openConfined opens p (absolute) for reading when it is a regular file
// inside the repository root (the pipeline directory outside git); see
// confined.
func (s *session) openConfined(p string) (*os.File, error) {
	top := s.res.RepoRoot
	if top == "" {
		top = s.res.AbsDir
	}
	root, err := confine.Open(top)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.OpenFile(p)
}

// confined resolves p (absolute) inside the repository root (the pipeline
// directory outside git) and returns its real path: a directory when dir
// is true, else a regular file. A path whose symbolic links lead out of
// the root is refused with confine.ErrOutside, a FIFO or a device with
// confine.ErrNotRegular; the error never shows what the target holds.
func (s *session) confined(p string, dir bool) (string, error) {
	top := s.res.RepoRoot
	if top == "" {
		top = s.res.AbsDir
	}
	root, err := confine.Open(top)
	if err != nil {
		return "", err
	}
	defer root.Close()
	if dir {
		return root.DirPath(p)
	}
	return root.FilePath(p)
}
