package docker

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"

	"github.com/pipeline-cd/pipeline/runners"
)

// dockerSockets are the host paths of the Docker engine's socket; mounting
// one into a step hands it the host.
var dockerSockets = []string{"/var/run/docker.sock", "/run/docker.sock"}

// containerSpec is the translated, not yet created, container of a step.
type containerSpec struct {
	config *container.Config
	host   *container.HostConfig
}

// translate turns step into a container spec. It is pure apart from
// resolving the workspace to an absolute path, and refuses, wrapping
// runners.ErrPrivileged, what the run did not allow: privileged mode, host
// mounts, the Docker socket, the host's root as workspace.
func (r *Runner) translate(step *runners.Step) (*containerSpec, error) {
	if step.Image == "" {
		return nil, fmt.Errorf("%w: step %q has no image; set image on the step or the pipeline, or use runner = \"local\"",
			runners.ErrInvalidStep, step.ID)
	}
	if err := r.checkPrivileges(step); err != nil {
		return nil, err
	}
	workdir := runners.WorkspaceMount
	if step.Workdir != "" {
		workdir = path.Join(runners.WorkspaceMount, filepath.ToSlash(step.Workdir))
	}
	if step.NoWorkspace {
		workdir = "" // the image's WORKDIR
		if step.Workdir != "" {
			workdir = filepath.ToSlash(step.Workdir)
		}
	}
	cfg := &container.Config{
		Image:        step.Image,
		Cmd:          step.Argv(),
		Env:          env(stepEnv(step)),
		User:         step.User,
		WorkingDir:   workdir,
		Labels:       r.labels(step),
		AttachStdout: true,
		AttachStderr: true,
	}
	host := &container.HostConfig{
		Init:       &r.init,
		Privileged: step.Privileged,
	}
	if !step.Privileged {
		host.CapDrop = []string{"NET_RAW", "MKNOD", "AUDIT_WRITE"}
		host.SecurityOpt = []string{"no-new-privileges:true"}
	}
	if step.Workspace != "" && !step.NoWorkspace {
		ws, err := filepath.Abs(step.Workspace)
		if err != nil {
			return nil, fmt.Errorf("step %q: workspace %q: %w", step.ID, step.Workspace, err)
		}
		host.Binds = append(host.Binds, ws+":"+runners.WorkspaceMount)
	}
	if step.Artifacts != "" {
		dir, err := filepath.Abs(step.Artifacts)
		if err != nil {
			return nil, fmt.Errorf("step %q: artifact store %q: %w", step.ID, step.Artifacts, err)
		}
		host.Binds = append(host.Binds, dir+":"+runners.ArtifactsMount+":ro")
	}
	host.Mounts = cacheMounts(step)
	for _, m := range step.Mounts {
		bind, err := parseMount(m)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", step.ID, err)
		}
		host.Binds = append(host.Binds, bind)
	}
	return &containerSpec{config: cfg, host: host}, nil
}

// checkPrivileges refuses a step that needs --allow-privileged when the
// runner was not given it.
func (r *Runner) checkPrivileges(step *runners.Step) error {
	if r.opts.AllowPrivileged {
		return nil
	}
	if step.Privileged {
		return fmt.Errorf("step %q asks for privileged mode: %w; remove privileged = true or run with --allow-privileged",
			step.ID, runners.ErrPrivileged)
	}
	if ws := filepath.Clean(step.Workspace); step.Workspace != "" && ws == "/" {
		return fmt.Errorf("step %q would mount the host's root directory as its workspace: %w", step.ID, runners.ErrPrivileged)
	}
	for _, m := range step.Mounts {
		hostPath, _, _ := strings.Cut(m, ":")
		if isDockerSocket(hostPath) {
			return fmt.Errorf("step %q mounts the Docker socket %s, which gives it control of the host: %w; remove the mount or run with --allow-privileged",
				step.ID, hostPath, runners.ErrPrivileged)
		}
		return fmt.Errorf("step %q mounts host path %s; only the workspace is mounted by default: %w; remove the mount or run with --allow-privileged",
			step.ID, hostPath, runners.ErrPrivileged)
	}
	return nil
}

func isDockerSocket(p string) bool {
	p = filepath.Clean(p)
	for _, s := range dockerSockets {
		if p == s {
			return true
		}
	}
	return filepath.Base(p) == "docker.sock"
}

// parseMount checks a "HOST:CONTAINER[:ro|rw]" mount and returns it as a bind.
func parseMount(m string) (string, error) {
	parts := strings.Split(m, ":")
	if len(parts) < 2 || len(parts) > 3 || !filepath.IsAbs(parts[0]) || !path.IsAbs(parts[1]) {
		return "", fmt.Errorf("%w: mount %q is not HOST:CONTAINER[:ro] with absolute paths", runners.ErrInvalidStep, m)
	}
	if len(parts) == 3 && parts[2] != "ro" && parts[2] != "rw" {
		return "", fmt.Errorf("%w: mount %q has mode %q; use ro or rw", runners.ErrInvalidStep, m, parts[2])
	}
	return m, nil
}

// labels returns the container labels: step.Labels, then the runner's own,
// which step labels cannot override.
func (r *Runner) labels(step *runners.Step) map[string]string {
	l := make(map[string]string, len(step.Labels)+5)
	for k, v := range step.Labels {
		l[k] = v
	}
	l[runners.LabelManaged] = "true"
	l[runners.LabelRun] = step.RunID
	l[runners.LabelStep] = step.ID
	l[runners.LabelPID] = strconv.Itoa(os.Getpid())
	l[runners.LabelHost] = r.opts.HostID
	return l
}

// env returns "K=V" pairs sorted by name.
func env(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
