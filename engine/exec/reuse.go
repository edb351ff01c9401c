package exec

import (
	"context"
	"fmt"
	"sort"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/cache"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/ui"
	"github.com/pipeline-cd/pipeline/runners"
)

// imageIDer is implemented by runners that can tell which image a step
// would run in (Docker): the image ID goes into the step's reuse key.
type imageIDer interface {
	ImageID(ctx context.Context, step *runners.Step) (string, error)
}

// reusable reports whether n may be reused: a build, test or package step
// that declares inputs, in a run with a cache.
func (r *scheduler) reusable(n *plan.Node) bool {
	return r.opts.Cache != nil && len(n.Step.Inputs) > 0 && n.StageKind != dsl.KindEnvironment
}

// stepKey computes the reuse key of n about to run as step through runner.
func (r *scheduler) stepKey(ctx context.Context, n *plan.Node, step *runners.Step, runner runners.Runner) (string, error) {
	image := "host"
	if ider, ok := runner.(imageIDer); ok {
		id, err := ider.ImageID(ctx, step)
		if err != nil {
			return "", err
		}
		image = id
	} else if step.Image != "" && n.Step.Runner != "local" {
		image = "image:" + step.Image
	}
	secretVars := map[string]bool{}
	for _, s := range n.Step.Secrets {
		secretVars[secretEnv(r.p, s)] = true
	}
	env := make(map[string]string, len(step.Env))
	for k, v := range step.Env {
		if !secretVars[k] {
			env[k] = v
		}
	}
	secrets := append([]string(nil), n.Step.Secrets...)
	sort.Strings(secrets)
	in := cache.KeyInput{
		Pipeline: r.p.Pipeline, Image: image, Argv: step.Argv(), Workdir: step.Workdir, User: step.User,
		Env: env, Secrets: secrets, Inputs: n.Step.Inputs, Outputs: n.Step.Outputs, Needs: r.neededKeys(n.ID),
	}
	key, _, err := r.opts.Cache.Hasher.Key(step.Workspace, in)
	if err != nil {
		return "", err
	}
	return key, nil
}

// neededKeys returns the keys of the steps id needs directly (through the
// stage nodes in between), by step ID; "" for a step that was not reused
// or recorded with a key in this run.
func (r *scheduler) neededKeys(id string) map[string]string {
	out := map[string]string{}
	var visit func(string)
	visit = func(id string) {
		for _, d := range graphOf(r.p).Deps(id) {
			if _, ok := out[d]; ok {
				continue
			}
			if n := nodeOf(r.p, d); n != nil && n.Kind == plan.KindStage {
				visit(d)
				continue
			}
			r.mu.Lock()
			out[d] = r.keys[d]
			r.mu.Unlock()
		}
	}
	visit(id)
	return out
}

// setKey remembers the key of a step that succeeded or was reused.
func (r *scheduler) setKey(id, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		r.keys = map[string]string{}
	}
	r.keys[id] = key
}

// tryReuse restores n from a recorded result with key, shows that
// result's logs and finishes n as reused. It reports whether it did.
func (r *scheduler) tryReuse(ctx context.Context, n *plan.Node, step *runners.Step, key string) bool {
	hit, err := r.opts.Cache.Lookup(ctx, key)
	if err != nil {
		r.log.Warn("looking up a reusable result failed; running the step", "step", n.ID, "error", err)
		return false
	}
	if hit == nil {
		return false
	}
	start := r.now()
	written, err := r.opts.Cache.Restore(step.Workspace, hit)
	if err != nil {
		r.log.Warn("restoring the outputs of a reusable result failed; running the step", "step", n.ID, "error", err)
		return false
	}
	r.replayLogs(ctx, n, hit)
	r.setKey(n.ID, key)
	outputs := "no outputs"
	switch {
	case len(hit.Files) == 0:
	case written == 0:
		outputs = fmt.Sprintf("%s already in place", countFiles(len(hit.Files)))
	default:
		outputs = fmt.Sprintf("%s restored", countFiles(written))
	}
	r.finish(ctx, n, &NodeResult{
		Status: StatusReused, Started: start, Finished: r.now(),
		Reason: fmt.Sprintf("reused from run %s (%s; inputs, image, command and env unchanged)", hit.RunID, outputs),
	}, true)
	return true
}

// replayLogs shows the logs of the reused attempt, as they were recorded
// (masked), to the run's output. They are not recorded again: `pipeline
// logs` of the run they came from has them.
func (r *scheduler) replayLogs(ctx context.Context, n *plan.Node, hit *Hit) {
	if r.opts.Store == nil {
		return
	}
	lines, err := r.opts.Store.Logs(ctx, hit.RunID, hit.NodeID)
	if err != nil {
		r.log.Warn("reading the logs of a reused result", "step", n.ID, "run", hit.RunID, "error", err)
		return
	}
	for _, l := range lines {
		if l.Attempt != hit.Attempt {
			continue
		}
		r.out.Event(ui.Event{Kind: ui.NodeOutput, Time: r.now(), Node: n.ID, NodeKind: string(n.Kind), Stream: l.Stream, Line: l.Text})
	}
}

// Hit is a recorded result a step reuses.
type Hit = cache.Hit

// saveResult records a successful reusable step for later runs. A failure
// is logged: the step succeeded, only the next run will not reuse it.
func (r *scheduler) saveResult(ctx context.Context, n *plan.Node, step *runners.Step, key string, attempt int) {
	r.setKey(n.ID, key)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	err := r.opts.Cache.Save(ctx, cache.Result{
		Key: key, Pipeline: r.p.Pipeline, NodeID: n.ID, RunID: r.opts.RunID, Attempt: attempt,
		Outputs: n.Step.Outputs, Workspace: step.Workspace,
	})
	if err != nil {
		r.log.Warn("keeping the step's result for reuse failed; the next run will run it again", "step", n.ID, "error", err)
	}
}

// flushCache records the last use of the results this run reused.
func (r *scheduler) flushCache(ctx context.Context) {
	if r.opts.Cache == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := r.opts.Cache.Flush(ctx); err != nil {
		r.log.Warn("recording the use of reused results", "error", err)
	}
	if len(r.volumes) > 0 {
		if err := r.opts.Cache.UsedVolumes(ctx, r.p.Pipeline, r.volumes); err != nil {
			r.log.Warn("recording the use of cache volumes", "error", err)
		}
	}
}

// prepareFiles sets who the step runs as, whether it mounts the workspace
// and its tool caches.
func (r *scheduler) prepareFiles(n *plan.Node, step *runners.Step, runner runners.Runner) {
	step.NoWorkspace = n.Step.NoWorkspace
	step.User = n.Step.User
	if step.User == "" && !step.NoWorkspace && n.Step.Runner != "local" {
		step.User = r.opts.User
	}
	if len(n.Step.Caches) == 0 {
		return
	}
	root := r.opts.CacheRoot
	if root == "" {
		root = r.opts.Workspace
	}
	step.Caches = cache.Caches(root, r.p.Pipeline, n.Step.Caches)
	if _, docker := runner.(imageIDer); !docker {
		return // host directories: no volume to record
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.volumes == nil {
		r.volumes = map[string]string{}
	}
	for _, c := range step.Caches {
		r.volumes[c.Volume] = c.Path
	}
}

func countFiles(n int) string {
	if n == 1 {
		return "1 output file"
	}
	return fmt.Sprintf("%d output files", n)
}
