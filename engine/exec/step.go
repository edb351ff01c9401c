package exec

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/ui"
	"github.com/pipeline-cd/pipeline/runners"
)

// runStep runs a step node with its retries and records the outcome.
func (r *scheduler) runStep(ctx context.Context, n *plan.Node) error {
	if skip, reason := r.whenFalse(n); skip {
		r.decide(ctx, n.ID, StatusSkipped, reason, false)
		return nil
	}
	nr := &NodeResult{Started: r.now()}
	step, runner, err := r.prepare(n)
	key := ""
	if err == nil && r.reusable(n) {
		// Before a shared container is started for it: a reused step
		// creates none. The key uses the step's own runner (the image ID).
		k, kerr := r.stepKey(ctx, n, step, runner)
		if kerr != nil {
			r.log.Warn("computing the reuse key failed; running the step", "step", n.ID, "error", kerr)
		} else {
			key = k
		}
		if key != "" && !r.opts.NoCache && r.tryReuse(ctx, n, step, key) {
			return nil
		}
	}
	if err == nil {
		runner, err = r.runnerFor(ctx, n, runner, step)
	}
	if err != nil {
		if errors.Is(err, ErrWhenFalse) {
			r.decide(ctx, n.ID, StatusSkipped, r.masker.String(err.Error()), false)
			return nil
		}
		nr.Attempts, nr.Finished = r.prior[n.ID]+1, r.now()
		nr.Status, nr.Reason = StatusFailed, r.masker.String(err.Error())
		r.finish(ctx, n, nr, true)
		return err
	}
	// A resumed step numbers its attempts on from those recorded before,
	// and gets its full retries again.
	prior := r.prior[n.ID]
	max := prior + maxAttempts(n)
	for attempt := prior + 1; ; attempt++ {
		nr.Attempts = attempt
		r.started(ctx, n, nr, attempt, max)
		res, err := r.attempt(ctx, n, runner, step, attempt)
		nr.Status, nr.Reason, nr.ExitCode = r.classify(ctx, n, res, err)
		retry := attempt < max && ctx.Err() == nil &&
			(nr.Status == StatusFailed && err == nil || nr.Status == StatusTimedOut)
		if !retry {
			break
		}
		r.logs.flush()
		r.out.Event(ui.Event{
			Kind: ui.NodeRetrying, Time: r.now(), Node: n.ID, NodeKind: string(n.Kind),
			Attempt: attempt, MaxAttempts: max, Status: nr.Status, Reason: nr.Reason, ExitCode: nr.ExitCode,
		})
	}
	if key != "" && nr.Status == StatusSucceeded {
		r.saveResult(ctx, n, step, key, nr.Attempts)
	}
	nr.Finished = r.now()
	r.logs.flush()
	r.finish(ctx, n, nr, true)
	if nr.Status == StatusSucceeded {
		return nil
	}
	return fmt.Errorf("%s %s", n.ID, nr.Status)
}

// whenFalse reports whether the step's condition is known to be false and
// the skip reason.
func (r *scheduler) whenFalse(n *plan.Node) (bool, string) {
	w := n.Step.Values.When
	if w.Known && !w.Value {
		return true, r.masker.String("when condition is false: " + w.Source)
	}
	return false, ""
}

// classify turns a runner's outcome into a status, reason and exit code.
func (r *scheduler) classify(ctx context.Context, n *plan.Node, res *runners.Result, err error) (string, string, int) {
	exit := 0
	if res != nil {
		exit = res.ExitCode
	}
	switch {
	case err == nil && exit == 0:
		return StatusSucceeded, "", 0
	case err == nil:
		return StatusFailed, "", exit
	case errors.Is(err, runners.ErrTimeout):
		return StatusTimedOut, fmt.Sprintf("timed out after %s (timeout of step %s)", n.Step.Timeout, n.ID), exit
	case errors.Is(err, runners.ErrCanceled) || ctx.Err() != nil:
		return StatusCancelled, r.cancelReason(ctx), exit
	default:
		return StatusFailed, r.masker.String(err.Error()), exit
	}
}

// prepare builds the runners.Step for n and picks its runner.
func (r *scheduler) prepare(n *plan.Node) (*runners.Step, runners.Runner, error) {
	runner := r.opts.Runner
	if name := n.Step.Runner; name != "" {
		runner = r.opts.Runners[name]
		if runner == nil {
			return nil, nil, fmt.Errorf("step %s asks for runner %q: %w; the run has %s", n.ID, name, ErrNoRunner, r.runnerNames())
		}
	}
	if runner == nil {
		return nil, nil, fmt.Errorf("step %s: %w; the run has no default runner", n.ID, ErrNoRunner)
	}
	var step *runners.Step
	var err error
	if r.opts.Resolve != nil {
		step, err = r.opts.Resolve(n)
	} else {
		step, err = buildStep(n)
	}
	if err != nil {
		return nil, nil, err
	}
	if step == nil {
		return nil, nil, fmt.Errorf("step %s: Resolve returned no step", n.ID)
	}
	step.ID, step.RunID = n.ID, r.opts.RunID
	if step.Workspace == "" {
		step.Workspace = r.opts.Workspace
	}
	step.Timeout = n.Step.Timeout
	step.Pull, step.Privileged, step.Mounts = n.Step.Pull, n.Step.Privileged, n.Step.Mounts
	r.prepareFiles(n, step, runner)
	if step.Labels == nil {
		step.Labels = make(map[string]string, 2)
	}
	step.Labels[runners.LabelRun] = r.opts.RunID
	step.Labels[runners.LabelStep] = n.ID
	if step.Env == nil {
		step.Env = make(map[string]string)
	}
	for _, s := range n.Step.Secrets {
		step.Env[secretEnv(r.p, s)] = r.opts.Secrets[s]
	}
	return step, runner, nil
}

func (r *scheduler) runnerNames() string {
	if len(r.opts.Runners) == 0 {
		return "no named runners"
	}
	names := make([]string, 0, len(r.opts.Runners))
	for name := range r.opts.Runners {
		names = append(names, fmt.Sprintf("%q", name))
	}
	sortStrings(names)
	return "runners " + joinComma(names)
}

// buildStep builds the runners.Step from the node's evaluated values,
// refusing values that are not known yet.
func buildStep(n *plan.Node) (*runners.Step, error) {
	v := n.Step.Values
	var unknown []string
	text := func(what string, t dsl.Text) string {
		if !t.Known {
			unknown = append(unknown, fmt.Sprintf("%s = %s", what, t.Display()))
		}
		return t.Value
	}
	step := &runners.Step{Env: make(map[string]string, len(v.Env))}
	if v.Run != nil {
		step.Script = text("run", *v.Run)
	}
	for i, c := range v.Command {
		step.Command = append(step.Command, text(fmt.Sprintf("command[%d]", i), c))
	}
	step.Image = text("image", v.Image)
	for _, k := range sortedKeys(v.Env) {
		step.Env[k] = text("env."+k, v.Env[k])
	}
	if v.Workdir != nil {
		step.Workdir = text("workdir", *v.Workdir)
	}
	if !v.When.Known {
		unknown = append(unknown, fmt.Sprintf("when = %s (known after %s)", v.When.Source, v.When.After))
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("step %s cannot run: %w: %s; run it through the engine, which evaluates these values once they are known",
			n.ID, ErrUnknownValue, joinComma(unknown))
	}
	return step, nil
}

// attempt runs one attempt of step, passing its output through the masker
// to the sink and the log batcher.
func (r *scheduler) attempt(ctx context.Context, n *plan.Node, runner runners.Runner, step *runners.Step, attempt int) (*runners.Result, error) {
	var mu sync.Mutex
	var seq int64
	cut := newLogCut(r.opts.LogLimit)
	max := r.prior[n.ID] + maxAttempts(n)
	line := func(stream string) mask.LineWriter {
		return mask.LineFunc(func(text string) error {
			t := r.now()
			// Seq is given and the line queued under one lock, so the
			// store receives a node attempt's lines in Seq order.
			mu.Lock()
			l := state.LogLine{RunID: r.opts.RunID, NodeID: n.ID, Attempt: attempt, Seq: seq, Stream: stream, Time: t, Text: text}
			seq++
			if cut.keep(l) {
				r.logs.add(l)
			}
			mu.Unlock()
			r.out.Event(ui.Event{Kind: ui.NodeOutput, Time: t, Node: n.ID, NodeKind: string(n.Kind), Attempt: attempt, MaxAttempts: max, Stream: stream, Line: text})
			return nil
		})
	}
	stdout := r.masker.Writer(line("stdout"))
	stderr := r.masker.Writer(line("stderr"))
	res, err := runner.Run(ctx, step, stdout, stderr)
	_ = stdout.Close()
	_ = stderr.Close()
	mu.Lock()
	for _, l := range cut.finish() {
		r.logs.add(l)
	}
	mu.Unlock()
	return res, err
}
