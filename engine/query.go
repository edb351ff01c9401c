package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pipeline-cd/pipeline/engine/cache"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// RunView is a recorded run with its display status: a run recorded as
// running whose process is provably gone shows as "crashed".
type RunView struct {
	*state.Run
	Display string
}

// Runs lists a pipeline's runs newest first ("" matches every pipeline).
func (e *Engine) Runs(ctx context.Context, pipeline string, limit int) ([]RunView, error) {
	runs, err := e.store.ListRuns(ctx, state.RunFilter{Pipeline: pipeline, Limit: limit})
	if err != nil {
		return nil, failed(fmt.Errorf("listing runs: %w", err))
	}
	out := make([]RunView, 0, len(runs))
	for _, r := range runs {
		out = append(out, RunView{Run: r, Display: e.displayStatus(r)})
	}
	return out, nil
}

// Pipelines returns the name of every pipeline the store has a run of,
// sorted. It needs no config, so it answers from a repository root that
// holds no pipeline files.
func (e *Engine) Pipelines(ctx context.Context) ([]string, error) {
	names, err := e.store.Pipelines(ctx)
	if err != nil {
		return nil, failed(fmt.Errorf("listing pipelines: %w", err))
	}
	return names, nil
}

func (e *Engine) displayStatus(r *state.Run) string {
	if r.Status == state.StatusRunning && r.PID > 0 && e.holderGone(&state.Lock{Host: r.Host, PID: r.PID}) {
		return "crashed"
	}
	return r.Status
}

// RunDetail returns one run with its nodes.
func (e *Engine) RunDetail(ctx context.Context, id string) (*RunView, []*state.Node, error) {
	run, err := e.getRun(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	nodes, err := e.store.Nodes(ctx, id)
	if err != nil {
		return nil, nil, failed(fmt.Errorf("reading the nodes of run %s: %w", id, err))
	}
	return &RunView{Run: run, Display: e.displayStatus(run)}, nodes, nil
}

// Logs returns the masked log lines of a run, or of one of its nodes. step
// is a node ID ("build.webapp.compile") or a unique suffix of one
// ("compile", "webapp.compile").
func (e *Engine) Logs(ctx context.Context, runID, step string) ([]state.LogLine, error) {
	if _, err := e.getRun(ctx, runID); err != nil {
		return nil, err
	}
	node := ""
	if step != "" {
		nodes, err := e.store.Nodes(ctx, runID)
		if err != nil {
			return nil, failed(fmt.Errorf("reading the nodes of run %s: %w", runID, err))
		}
		if node, err = matchNode(nodes, step); err != nil {
			return nil, invalid(fmt.Errorf("run %s: %w", runID, err))
		}
	}
	lines, err := e.store.Logs(ctx, runID, node)
	if err != nil {
		return nil, failed(fmt.Errorf("reading logs of run %s: %w", runID, err))
	}
	return lines, nil
}

// StreamLogs calls fn for each masked log line of a run, or of one of its
// nodes (step as for Logs), in the order Logs returns them, holding only a
// bounded part of the log in memory. attempts holds, by node ID, the
// attempts that have lines, so a caller can mark the lines of a step that
// ran more than once before it sees them. An error of fn stops the stream
// and is returned as is.
func (e *Engine) StreamLogs(ctx context.Context, runID, step string, fn func(attempts map[string][]int, l state.LogLine) error) error {
	if _, err := e.getRun(ctx, runID); err != nil {
		return err
	}
	node := ""
	if step != "" {
		nodes, err := e.store.Nodes(ctx, runID)
		if err != nil {
			return failed(fmt.Errorf("reading the nodes of run %s: %w", runID, err))
		}
		if node, err = matchNode(nodes, step); err != nil {
			return invalid(fmt.Errorf("run %s: %w", runID, err))
		}
	}
	attempts, err := e.store.LogAttempts(ctx, runID)
	if err != nil {
		return failed(fmt.Errorf("reading logs of run %s: %w", runID, err))
	}
	var fnErr error
	err = e.store.StreamLogs(ctx, runID, node, func(l state.LogLine) error {
		if err := fn(attempts, l); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	switch {
	case fnErr != nil:
		return fnErr
	case err != nil:
		return failed(fmt.Errorf("reading logs of run %s: %w", runID, err))
	}
	return nil
}

func matchNode(nodes []*state.Node, step string) (string, error) {
	var matches, all []string
	for _, n := range nodes {
		all = append(all, n.NodeID)
		if n.NodeID == step {
			return step, nil
		}
		if strings.HasSuffix(n.NodeID, "."+step) {
			matches = append(matches, n.NodeID)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return "", fmt.Errorf("no step %q; its steps are %s", step, strings.Join(all, ", "))
	}
	return "", fmt.Errorf("step %q is ambiguous: %s; name one in full", step, strings.Join(matches, ", "))
}

// Releases lists a pipeline's releases newest first.
func (e *Engine) Releases(ctx context.Context, pipeline string, limit int) ([]*state.Release, error) {
	rs, err := e.store.ListReleases(ctx, pipeline, limit)
	if err != nil {
		return nil, failed(fmt.Errorf("listing releases: %w", err))
	}
	return rs, nil
}

// History is the deployment history of a pipeline.
type History struct {
	Deployments []*state.Deployment `json:"deployments"`
	// RollbackTargets maps an environment to the version `pipeline
	// rollback ENV` would deploy; environments without one are absent.
	RollbackTargets map[string]string `json:"rollback_targets"`
}

// Environments returns the environments of h's deployments in the order
// they were first deployed to (oldest first): the promotion order of a
// pipeline that always promotes. It needs no config.
func (h *History) Environments() []string {
	seen := map[string]bool{}
	var envs []string
	for i := len(h.Deployments) - 1; i >= 0; i-- {
		if env := h.Deployments[i].Environment; !seen[env] {
			seen[env] = true
			envs = append(envs, env)
		}
	}
	return envs
}

// History lists a pipeline's deployments newest first, optionally of one
// environment, with each environment's rollback target.
func (e *Engine) History(ctx context.Context, pipeline, env string, limit int) (*History, error) {
	deps, err := e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: pipeline, Environment: env, Limit: limit})
	if err != nil {
		return nil, failed(fmt.Errorf("listing deployments: %w", err))
	}
	h := &History{Deployments: deps, RollbackTargets: map[string]string{}}
	envs := map[string]bool{}
	for _, d := range deps {
		envs[d.Environment] = true
	}
	for name := range envs {
		if v, err := e.rollbackVersion(ctx, pipeline, name); err == nil && v != "" {
			h.RollbackTargets[name] = v
		}
	}
	return h, nil
}

func (e *Engine) rollbackVersion(ctx context.Context, pipeline, env string) (string, error) {
	all, err := e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: pipeline, Environment: env})
	if err != nil {
		return "", err
	}
	_, t, err := RollbackTarget(all)
	if errors.Is(err, ErrNoRollbackTarget) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return t.Version, nil
}

// EnvStatus is one environment's row of Status.
type EnvStatus struct {
	Environment string `json:"environment"`
	// Live is the successful deployment that finished last; nil when none.
	Live *state.Deployment `json:"live,omitempty"`
	// Latest is the newest deployment of any status; nil when none.
	Latest *state.Deployment `json:"latest,omitempty"`
	// Waiting lists the gates of the environment that wait for approval.
	Waiting []*state.Gate `json:"waiting,omitempty"`
	// Expired lists the gates of the environment still recorded as waiting
	// whose timeout has passed, with Status "expired": they can no longer
	// be approved. Status computes it from the clock and records nothing;
	// approve and resume record the expiry.
	Expired []*state.Gate `json:"expired,omitempty"`
	// Approved lists the gates of the environment that were approved in a
	// run that still waits: nothing deploys until `pipeline resume RUN`.
	Approved       []*state.Gate `json:"approved,omitempty"`
	RollbackTarget string        `json:"rollback_target,omitempty"`
}

// Status returns, for each environment (in the order given, then any
// other environment with deployments), what is live, what waits at a gate
// (gates past their timeout apart, as expired; gates of cancelled runs
// left out), the gates approved in runs that wait for resume, and the
// rollback target. It records nothing.
func (e *Engine) Status(ctx context.Context, pipeline string, envs []string) ([]EnvStatus, error) {
	gates, err := e.openGates(ctx, pipeline)
	if err != nil {
		return nil, err
	}
	approved, err := e.approvedGates(ctx, pipeline)
	if err != nil {
		return nil, err
	}
	gates = append(gates, approved...)
	seen := map[string]bool{}
	var order []string
	for _, env := range envs {
		if !seen[env] {
			seen[env] = true
			order = append(order, env)
		}
	}
	var extra []string
	for _, g := range gates {
		if !seen[g.Environment] {
			seen[g.Environment] = true
			extra = append(extra, g.Environment)
		}
	}
	sort.Strings(extra)
	var out []EnvStatus
	for _, env := range append(order, extra...) {
		row, err := e.envStatus(ctx, pipeline, env, gates)
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}

func (e *Engine) envStatus(ctx context.Context, pipeline, env string, gates []*state.Gate) (EnvStatus, error) {
	row := EnvStatus{Environment: env}
	deps, err := e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: pipeline, Environment: env})
	if err != nil {
		return row, failed(fmt.Errorf("listing deployments of %s: %w", env, err))
	}
	if len(deps) > 0 {
		row.Latest = deps[0]
	}
	row.Live = liveDeployment(deps)
	if _, t, err := RollbackTarget(deps); err == nil {
		row.RollbackTarget = t.Version
	}
	now := e.now()
	for _, g := range gates {
		if g.Environment != env {
			continue
		}
		if g.Status == gateApproved {
			row.Approved = append(row.Approved, g)
			continue
		}
		if gateExpired(g, now) {
			expired := *g
			expired.Status = state.StatusExpired
			row.Expired = append(row.Expired, &expired)
			continue
		}
		row.Waiting = append(row.Waiting, g)
	}
	return row, nil
}

// openGates returns the gates of pipeline recorded as waiting, leaving out
// those of runs that were cancelled (a run cancelled before cancelling
// closed its gates left them recorded as waiting).
func (e *Engine) openGates(ctx context.Context, pipeline string) ([]*state.Gate, error) {
	gates, err := e.store.WaitingGates(ctx, pipeline)
	if err != nil {
		return nil, failed(fmt.Errorf("listing waiting gates: %w", err))
	}
	cancelled := map[string]bool{}
	out := gates[:0]
	for _, g := range gates {
		c, seen := cancelled[g.RunID]
		if !seen {
			run, err := e.store.GetRun(ctx, g.RunID)
			if err != nil && !errors.Is(err, state.ErrNotFound) {
				return nil, failed(fmt.Errorf("reading run %s of gate %s: %w", g.RunID, g.Name, err))
			}
			c = run != nil && run.Status == state.StatusCancelled
			cancelled[g.RunID] = c
		}
		if !c {
			out = append(out, g)
		}
	}
	return out, nil
}

// approvedGates returns the gates of pipeline that were approved in runs
// still waiting: the run goes on only with `pipeline resume`.
func (e *Engine) approvedGates(ctx context.Context, pipeline string) ([]*state.Gate, error) {
	runs, err := e.store.ListRuns(ctx, state.RunFilter{Pipeline: pipeline, Status: state.StatusWaiting})
	if err != nil {
		return nil, failed(fmt.Errorf("listing waiting runs: %w", err))
	}
	var out []*state.Gate
	for _, run := range runs {
		rec, err := decodeRecorded(run)
		if err != nil {
			return nil, failed(err)
		}
		for _, key := range sortedKeys(rec.Gates) {
			g, err := e.store.GetGate(ctx, run.ID, key)
			if errors.Is(err, state.ErrNotFound) {
				continue // not reached yet
			}
			if err != nil {
				return nil, failed(fmt.Errorf("reading gate %s of run %s: %w", key, run.ID, err))
			}
			if g.Status == gateApproved {
				out = append(out, g)
			}
		}
	}
	return out, nil
}

// Audit returns the audit trail oldest first; limit > 0 keeps the newest.
func (e *Engine) Audit(ctx context.Context, pipeline string, limit int) ([]*state.AuditEvent, error) {
	evs, err := e.store.Audit(ctx, pipeline, limit)
	if err != nil {
		return nil, failed(fmt.Errorf("reading the audit trail: %w", err))
	}
	return evs, nil
}

// CacheAdmin returns what `pipeline cache ls | prune` work with: the
// reusable results in the store and their output files, the cache volumes
// in Docker, and the host cache directories below repoRoot/.pipeline/cache.
func (e *Engine) CacheAdmin(repoRoot string) *cache.Admin {
	a := &cache.Admin{Store: e.store, ArtifactDir: e.opts.ArtifactDir, Volumes: e.opts.Volumes}
	if repoRoot != "" {
		a.LocalRoot = filepath.Join(repoRoot, ".pipeline", "cache")
	}
	return a
}
