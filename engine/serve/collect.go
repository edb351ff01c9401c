package serve

import (
	"context"
	"sort"

	"github.com/pipeline-cd/pipeline/engine"
)

// Pipeline is a pipeline the server shows even before the store holds
// anything of it, with its environments in promotion order (the order of
// the config's environment blocks).
type Pipeline struct {
	Name         string
	Environments []string
}

const (
	// discoverRuns is how many of the newest runs (of every pipeline) the
	// server reads to find the pipelines a store holds. A pipeline whose
	// every run is older than that is not shown unless it is configured.
	discoverRuns = 500
	// statusHistory is how many of a pipeline's newest deployments the
	// server reads to find its environments and to show their history.
	statusHistory = 200
)

// pipelineView is what the server knows of one pipeline.
type pipelineView struct {
	Name    string
	Status  []engine.EnvStatus
	History *engine.History
}

// pipelineNames returns the configured pipelines followed by the others
// found among the newest runs, sorted, and those runs (newest first).
func (h *Handler) pipelineNames(ctx context.Context) ([]string, []engine.RunView, error) {
	runs, err := h.q.Runs(ctx, "", discoverRuns)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	var names []string
	for _, p := range h.opts.Pipelines {
		if !seen[p.Name] {
			seen[p.Name] = true
			names = append(names, p.Name)
		}
	}
	var found []string
	for _, r := range runs {
		if !seen[r.Pipeline] {
			seen[r.Pipeline] = true
			found = append(found, r.Pipeline)
		}
	}
	sort.Strings(found)
	return append(names, found...), runs, nil
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
// deployed to (oldest first), which is the promotion order for a
// pipeline that always promotes. Engine.Status adds environments that only
// have a waiting gate.
func (h *Handler) environments(name string, hist *engine.History) []string {
	seen := map[string]bool{}
	var envs []string
	for _, p := range h.opts.Pipelines {
		if p.Name != name {
			continue
		}
		for _, e := range p.Environments {
			if !seen[e] {
				seen[e] = true
				envs = append(envs, e)
			}
		}
	}
	for i := len(hist.Deployments) - 1; i >= 0; i-- {
		e := hist.Deployments[i].Environment
		if !seen[e] {
			seen[e] = true
			envs = append(envs, e)
		}
	}
	return envs
}

// pick returns names, or only want when it is set.
func pick(names []string, want string) []string {
	if want == "" {
		return names
	}
	return []string{want}
}
