package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/runners"
)

// Pull policies of runners.Step.Pull.
const (
	PullMissing = "missing"
	PullAlways  = "always"
	PullNever   = "never"
)

// ensureImage makes step.Image present according to step.Pull: "missing"
// (the default) pulls it only when absent, "always" pulls it every time,
// "never" fails with ErrImageMissing when it is absent.
func (r *Runner) ensureImage(ctx context.Context, step *runners.Step, logger hclog.Logger) error {
	policy := step.Pull
	if policy == "" {
		policy = PullMissing
	}
	switch policy {
	case PullMissing, PullNever:
		if _, ok := r.present.Load(step.Image); ok {
			return nil
		}
		_, err := r.cli.ImageInspect(ctx, step.Image)
		if err == nil {
			r.present.Store(step.Image, struct{}{})
			return nil
		}
		if !isNotFound(err) {
			return r.apiError(ctx, step, fmt.Sprintf("inspect image %q", step.Image), err)
		}
		if policy == PullNever {
			return fmt.Errorf("step %q: %w: %q is not in the Docker engine and pull = \"never\"; "+
				"put it there yourself (`docker pull %s`, or build it: `docker build -t %s DIR`, or load it: `docker load -i FILE`), "+
				"or set pull = \"missing\" so that the run pulls it",
				step.ID, ErrImageMissing, step.Image, step.Image, step.Image)
		}
	case PullAlways:
	default:
		return fmt.Errorf("%w: step %q has pull = %q; use \"missing\", \"always\" or \"never\"",
			runners.ErrInvalidStep, step.ID, step.Pull)
	}
	return r.pull(ctx, step, logger)
}

// pull pulls step.Image and reads the progress stream to its end, failing
// on the first error message in it.
func (r *Runner) pull(ctx context.Context, step *runners.Step, logger hclog.Logger) error {
	logger.Info("pulling image", "image", step.Image)
	rc, err := r.cli.ImagePull(ctx, step.Image, image.PullOptions{})
	if err != nil {
		return r.pullError(ctx, step, err)
	}
	defer rc.Close()
	dec := json.NewDecoder(rc)
	for {
		var msg jsonmessage.JSONMessage
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return r.pullError(ctx, step, err)
		}
		if msg.Error != nil {
			return r.pullError(ctx, step, msg.Error)
		}
	}
	r.present.Store(step.Image, struct{}{})
	logger.Info("pulled image", "image", step.Image)
	return nil
}

func (r *Runner) pullError(ctx context.Context, step *runners.Step, err error) error {
	if ctx.Err() != nil {
		return r.apiError(ctx, step, fmt.Sprintf("pull image %q", step.Image), err)
	}
	wrapped := r.apiError(ctx, step, fmt.Sprintf("pull image %q", step.Image), err)
	if errors.Is(wrapped, ErrDaemonUnreachable) {
		return wrapped
	}
	return fmt.Errorf("%w: %w; check the image name and your access to its registry (`docker login`), "+
		"or put the image into the engine yourself (`docker build -t %s DIR`, or `docker load -i FILE`) and set pull = \"never\"",
		ErrPullFailed, wrapped, step.Image)
}

// ImageID returns the ID ("sha256:...") of the image step runs in, making
// it present first according to step.Pull. IDs are remembered by image
// reference for the Runner's lifetime, so the steps of a run that share an
// image make one inspect call.
func (r *Runner) ImageID(ctx context.Context, step *runners.Step) (string, error) {
	if id, ok := r.ids.Load(step.Image); ok {
		return id.(string), nil
	}
	if step.Pull != PullAlways {
		// One round trip when the image is there (the common case).
		if insp, err := r.cli.ImageInspect(ctx, step.Image); err == nil {
			r.present.Store(step.Image, struct{}{})
			r.ids.Store(step.Image, insp.ID)
			return insp.ID, nil
		}
	}
	logger := r.logger.With("step", step.ID)
	if err := r.ensureImage(ctx, step, logger); err != nil {
		return "", err
	}
	insp, err := r.cli.ImageInspect(ctx, step.Image)
	if err != nil {
		return "", r.apiError(ctx, step, fmt.Sprintf("inspect image %q", step.Image), err)
	}
	r.ids.Store(step.Image, insp.ID)
	return insp.ID, nil
}
