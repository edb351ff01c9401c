package serve

import (
	"context"

	"github.com/pipeline-cd/pipeline/engine"
)

// Pipeline is a pipeline the server shows even before the store holds
// anything of it, with its environments in promotion order (the order of
// the config's environment blocks).
type Pipeline struct {
	Name         string
	Environments []string
}

// statusHistory is how many of a pipeline's newest deployments the server
// reads to find its environments and to show their history.
const statusHistory = 200

// pipelineView is what the server knows of one pipeline.
type pipelineView struct {
	Name    string
	Status  []engine.EnvStatus
	History *engine.History
}

// pipelineNames returns the configured pipelines followed by every other
// pipeline the store has a run of.
func (h *Handler) pipelineNames(ctx context.Context) ([]string, error) {
	return PipelineNames(ctx, h.q, h.opts.Pipelines)
}

// PipelineNames returns the names of configured, in order, followed by
// every other pipeline stored (as stored.Pipelines lists them), each once:
// the rows of the JSON API's status and of the console's overview.
func PipelineNames(ctx context.Context, stored interface {
	Pipelines(ctx context.Context) ([]string, error)
}, configured []Pipeline) ([]string, error) {
	names, err := stored.Pipelines(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range configured {
		if !seen[p.Name] {
			seen[p.Name] = true
			out = append(out, p.Name)
		}
	}
	for _, name := range names {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out, nil
}

// pipelineView reads one pipeline's status and its newest deployments.
func (h *Handler) pipelineView(ctx context.Context, name string) (*pipelineView, error) {
	hist, err := h.q.History(ctx, name, "", statusHistory)
	if err != nil {
		return nil, err
	}
	status, err := h.q.Status(ctx, name, h.environments(name, hist))
	if err != nil {
		return nil, err
	}
	return &pipelineView{Name: name, Status: status, History: hist}, nil
}

// environments returns a pipeline's environments: the configured ones in
// their order, then those with deployments in the order they were first
// deployed to (see engine.History.Environments). Engine.Status adds
// environments that only have a waiting gate.
func (h *Handler) environments(name string, hist *engine.History) []string {
	var envs []string
	for _, p := range h.opts.Pipelines {
		if p.Name == name {
			envs = append(envs, p.Environments...)
		}
	}
	return append(envs, hist.Environments()...)
}

// pick returns names, or only want when it is set.
func pick(names []string, want string) []string {
	if want == "" {
		return names
	}
	return []string{want}
}
