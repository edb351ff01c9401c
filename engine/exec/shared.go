package exec

import (
	"context"
	"sync"

	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/runners"
)

// sharedPool holds the shared containers of a run's stages with container
// = "shared": one per stage, started by the first of its steps that runs
// and closed when the stage's node is reached or the run ends. A stage
// whose runner has no runners.Sharer capability (local, dry run) runs its
// steps one by one as usual.
type sharedPool struct {
	mu     sync.Mutex
	stages map[string]*sharedStage
}

// sharedStage is one stage's shared environment, made once.
type sharedStage struct {
	once   sync.Once
	env    runners.Shared
	err    error
	closed bool
}

// runnerFor returns the runner for a step of n: the stage's shared
// environment when n is a shared step, the runner can share and the step
// fits the environment; otherwise runner itself. An error means the shared
// environment could not be started.
func (r *scheduler) runnerFor(ctx context.Context, n *plan.Node, runner runners.Runner, step *runners.Step) (runners.Runner, error) {
	if !n.Step.Shared {
		return runner, nil
	}
	sharer, ok := runner.(runners.Sharer)
	if !ok {
		return runner, nil
	}
	p := &r.shared
	p.mu.Lock()
	if p.stages == nil {
		p.stages = make(map[string]*sharedStage)
	}
	s := p.stages[n.Stage]
	if s == nil {
		s = &sharedStage{}
		p.stages[n.Stage] = s
	}
	p.mu.Unlock()
	s.once.Do(func() {
		proto := *step
		proto.ID = n.Stage
		proto.Labels = map[string]string{runners.LabelRun: r.opts.RunID, runners.LabelStep: n.Stage}
		s.env, s.err = sharer.Share(ctx, &proto)
		if s.err == nil {
			r.log.Debug("started shared container", "stage", n.Stage)
		}
	})
	if s.err != nil {
		return nil, s.err
	}
	p.mu.Lock()
	closed := s.closed
	p.mu.Unlock()
	if closed || !s.env.Fits(step) {
		return runner, nil
	}
	return s.env, nil
}

// closeShared closes the shared environment of stage, if one was started.
func (r *scheduler) closeShared(ctx context.Context, stage string) {
	p := &r.shared
	p.mu.Lock()
	s := p.stages[stage]
	if s == nil || s.closed {
		p.mu.Unlock()
		return
	}
	s.closed = true
	p.mu.Unlock()
	s.once.Do(func() {}) // wait for a Share in progress
	if s.env == nil {
		return
	}
	if err := s.env.Close(context.WithoutCancel(ctx)); err != nil {
		r.log.Warn("could not remove a shared container", "stage", stage, "error", err)
	}
}

// closeAllShared closes every shared environment still open.
func (r *scheduler) closeAllShared(ctx context.Context) {
	r.shared.mu.Lock()
	stages := sortedKeys(r.shared.stages)
	r.shared.mu.Unlock()
	for _, s := range stages {
		r.closeShared(ctx, s)
	}
}
