package docker

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/volume"
	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/runners"
)

// volumeClient lists the Docker Engine API calls tool caches make;
// *client.Client implements it.
type volumeClient interface {
	VolumeInspect(ctx context.Context, volumeID string) (volume.Volume, error)
	VolumeCreate(ctx context.Context, options volume.CreateOptions) (volume.Volume, error)
}

// stepEnv returns the step's environment, with HOME=/tmp added for a step
// that runs as a numeric uid other than 0 and sets no HOME itself: such a
// uid usually has no passwd entry in the image, so HOME would be "/", which
// it cannot write.
func stepEnv(step *runners.Step) map[string]string {
	if !needsHome(step.User) {
		return step.Env
	}
	if _, ok := step.Env["HOME"]; ok {
		return step.Env
	}
	out := make(map[string]string, len(step.Env)+1)
	for k, v := range step.Env {
		out[k] = v
	}
	out["HOME"] = "/tmp"
	return out
}

// needsHome reports whether user is a numeric uid other than 0.
func needsHome(user string) bool {
	uid, _, _ := strings.Cut(user, ":")
	if uid == "" || uid == "0" {
		return false
	}
	for _, c := range uid {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// cacheMounts returns the named-volume mounts of the step's caches.
func cacheMounts(step *runners.Step) []mount.Mount {
	var out []mount.Mount
	for _, c := range step.Caches {
		out = append(out, mount.Mount{Type: mount.TypeVolume, Source: c.Volume, Target: c.Path})
	}
	return out
}

// ensureVolumes creates the step's cache volumes that do not exist yet,
// with their labels. A volume created for a step that runs as a user
// other than root is handed to that user by a short helper container (the
// step's image running chown as root), since a new volume belongs to root.
func (r *Runner) ensureVolumes(ctx context.Context, step *runners.Step, logger hclog.Logger) error {
	if len(step.Caches) == 0 {
		return nil
	}
	vc, ok := r.cli.(volumeClient)
	if !ok {
		return fmt.Errorf("%w: step %q has caches, but this Docker client cannot manage volumes", runners.ErrInvalidStep, step.ID)
	}
	var created []runners.Cache
	for _, c := range step.Caches {
		if _, ok := r.volumes.Load(c.Volume); ok {
			continue
		}
		if _, err := vc.VolumeInspect(ctx, c.Volume); err == nil {
			r.volumes.Store(c.Volume, struct{}{})
			continue
		} else if !isNotFound(err) {
			return r.apiError(ctx, step, fmt.Sprintf("inspect cache volume %s", c.Volume), err)
		}
		if _, err := vc.VolumeCreate(ctx, volume.CreateOptions{Name: c.Volume, Labels: c.Labels}); err != nil {
			return r.apiError(ctx, step, fmt.Sprintf("create cache volume %s for %s", c.Volume, c.Path), err)
		}
		logger.Info("created cache volume", "volume", c.Volume, "path", c.Path)
		r.volumes.Store(c.Volume, struct{}{})
		created = append(created, c)
	}
	if len(created) == 0 || step.User == "" || step.User == "0" || strings.HasPrefix(step.User, "0:") || step.User == "root" {
		return nil
	}
	return r.chownVolumes(ctx, step, created, logger)
}

// chownVolumes runs chown -R USER on the new volumes in a helper container
// of the step's image, as root, and removes it.
func (r *Runner) chownVolumes(ctx context.Context, step *runners.Step, caches []runners.Cache, logger hclog.Logger) error {
	cmd := []string{"chown", "-R", step.User}
	var mounts []mount.Mount
	for _, c := range caches {
		cmd = append(cmd, c.Path)
		mounts = append(mounts, mount.Mount{Type: mount.TypeVolume, Source: c.Volume, Target: c.Path})
	}
	helper := *step
	helper.ID = step.ID + " (cache owner)"
	if err := r.ensureImage(ctx, &helper, logger); err != nil {
		return err
	}
	created, err := r.cli.ContainerCreate(ctx, &container.Config{
		Image: step.Image, Cmd: cmd, User: "0", Labels: r.labels(step), Entrypoint: []string{},
	}, &container.HostConfig{Mounts: mounts}, nil, nil, "")
	if err != nil {
		return r.apiError(ctx, step, "create the container that hands the cache volumes to "+step.User, err)
	}
	defer r.remove(created.ID, logger)
	waitC, errC := r.cli.ContainerWait(ctx, created.ID, container.WaitConditionNextExit)
	if err := r.cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return r.apiError(ctx, step, "start the container that hands the cache volumes to "+step.User, err)
	}
	select {
	case w := <-waitC:
		if w.StatusCode != 0 {
			return fmt.Errorf("step %q: `chown -R %s` of its new cache volumes exited %d in image %s; the image needs chown, or set user = \"0\" on the step",
				step.ID, step.User, w.StatusCode, step.Image)
		}
	case err := <-errC:
		return r.apiError(ctx, step, "wait for the container that hands the cache volumes to "+step.User, err)
	case <-ctx.Done():
		return fmt.Errorf("step %q not started: %w: %w", step.ID, runners.ErrCanceled, ctx.Err())
	}
	return nil
}
