package release

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// ErrImageBuild reports an image build that the Docker engine refused or
// that failed in the Dockerfile.
var ErrImageBuild = errors.New("image build failed")

// ImageBuilder lists the Docker Engine API calls image building makes;
// *client.Client implements it.
type ImageBuilder interface {
	ImageBuild(ctx context.Context, buildContext io.Reader, options build.ImageBuildOptions) (build.ImageBuildResponse, error)
	ImageInspect(ctx context.Context, imageID string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
}

// ImageSpec is one evaluated image block.
type ImageSpec struct {
	Name string
	// ContextDir is the absolute build context directory.
	ContextDir string
	// Dockerfile is relative to ContextDir; "" means "Dockerfile".
	Dockerfile string
	Tag        string
	Labels     map[string]string
	// Args are the build args (ARG in the Dockerfile).
	Args map[string]string
}

func (s ImageSpec) args() map[string]*string {
	if len(s.Args) == 0 {
		return nil
	}
	out := make(map[string]*string, len(s.Args))
	for k, v := range s.Args {
		out[k] = &v
	}
	return out
}

// BuildImage builds spec through the Docker Engine API, writes the build
// output to out, and returns the image recorded by its ID. The context is
// sent as a tar stream of ContextDir without .git and .pipeline.
func BuildImage(ctx context.Context, b ImageBuilder, spec ImageSpec, out io.Writer) (state.Image, error) {
	dockerfile := spec.Dockerfile
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	if _, err := os.Stat(filepath.Join(spec.ContextDir, dockerfile)); err != nil {
		return state.Image{}, fmt.Errorf("%w: image %s: %s not found in the build context %s", ErrImageBuild, spec.Name, dockerfile, spec.ContextDir)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeContext(pw, spec.ContextDir, dockerfile)) }()
	defer pr.Close()
	resp, err := b.ImageBuild(ctx, pr, build.ImageBuildOptions{
		Tags: []string{spec.Tag}, Dockerfile: filepath.ToSlash(dockerfile),
		Remove: true, ForceRemove: true, Labels: spec.Labels, BuildArgs: spec.args(),
	})
	if err != nil {
		return state.Image{}, fmt.Errorf("%w: image %s: %w", ErrImageBuild, spec.Name, err)
	}
	defer resp.Body.Close()
	if err := readBuildStream(resp.Body, out); err != nil {
		return state.Image{}, fmt.Errorf("%w: image %s: %w", ErrImageBuild, spec.Name, err)
	}
	insp, err := b.ImageInspect(ctx, spec.Tag)
	if err != nil {
		return state.Image{}, fmt.Errorf("%w: image %s: inspecting %s: %w", ErrImageBuild, spec.Name, spec.Tag, err)
	}
	return state.Image{Name: spec.Name, ID: insp.ID, Tag: spec.Tag}, nil
}

// buildMessage is one JSON message of the build output stream.
type buildMessage struct {
	Stream      string `json:"stream"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

func readBuildStream(r io.Reader, out io.Writer) error {
	dec := json.NewDecoder(r)
	for {
		var m buildMessage
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the build output: %w", err)
		}
		if m.Error != "" {
			return errors.New(strings.TrimSpace(m.Error))
		}
		if m.Stream != "" && out != nil {
			_, _ = io.WriteString(out, m.Stream)
		}
	}
}

// writeContext writes the build context dir as a tar stream: what
// walkContext lists (no .git, no .pipeline, .dockerignore honoured).
func writeContext(w io.Writer, dir, dockerfile string) error {
	tw := tar.NewWriter(w)
	err := walkContext(dir, dockerfile, func(p, rel string, d fs.DirEntry) error {
		return addToTar(tw, p, rel, d)
	})
	if err != nil {
		return fmt.Errorf("packing the build context %s: %w", dir, err)
	}
	return tw.Close()
}

func addToTar(tw *tar.Writer, p, name string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	link := ""
	if info.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	hdr.Name = name
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}
