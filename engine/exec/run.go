package exec

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine/dag"
	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/ui"
	"github.com/pipeline-cd/pipeline/runners"
)

// errFailFast is the cancellation cause of the walk after a failure with
// FailFast set.
var errFailFast = errors.New("--fail-fast")

// Run executes p and returns the outcome of every node. A failed, stopped
// or cancelled run is reported in Result.Status with a nil error. The error
// is non-nil when the run could not start (invalid options, a secret too
// short to mask, a step listing a secret that was not supplied, non-step
// nodes without a Handler; Result is then nil) or when recording to the
// store failed (Result is then complete and the error says what was lost).
func Run(ctx context.Context, p *plan.Plan, opts Options) (*Result, error) {
	r, err := newRunner(p, opts)
	if err != nil {
		return nil, err
	}
	if err := r.readPrior(ctx); err != nil {
		return nil, err
	}
	start := r.now()
	walkCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.cancelWalk = cancel
	r.logs.start()
	errs := graphOf(p).Walk(walkCtx, r.opts.Parallelism, func(ctx context.Context, v dag.Vertex) error {
		return r.visit(ctx, v.Name())
	})
	r.settle(ctx, walkCtx, errs)
	r.closeAllShared(ctx)
	r.waitRunners(ctx)
	r.logs.stop()
	r.flushCache(ctx)

	res := r.result(ctx, r.now().Sub(start))
	r.out.Event(ui.Event{Kind: ui.RunFinished, Time: r.now(), Summary: ptr(res.Summary())})
	if err := r.storeErr(); err != nil {
		return res, err
	}
	return res, nil
}

func ptr[T any](v T) *T { return &v }

// Check returns the error Run would fail with before starting (invalid
// options, a secret too short to mask, a step listing a secret that was
// not supplied, non-step nodes without a Handler), or nil, without
// running or recording anything. A dry run uses it to say whether the run
// would start.
func Check(p *plan.Plan, opts Options) error {
	_, err := newRunner(p, opts)
	return err
}

// scheduler holds the state of one Run.
type scheduler struct {
	p      *plan.Plan
	opts   Options
	now    func() time.Time
	log    hclog.Logger
	out    ui.Sink
	masker *mask.Masker
	logs   *logBatcher
	order  []string

	cancelWalk context.CancelCauseFunc
	shared     sharedPool

	// prior holds, by node ID, the attempts the store already records
	// for this run (a resumed run): their attempts are numbered on from there.
	prior map[string]int

	mu       sync.Mutex
	nodes    map[string]*NodeResult
	failed   string // first failed node, for fail-fast reasons
	firstErr error  // first store error
	// keys holds the reuse keys of steps that succeeded or were reused.
	keys map[string]string
	// volumes holds the cache volumes the run's steps used (name -> path).
	volumes map[string]string
}

func newRunner(p *plan.Plan, opts Options) (*scheduler, error) {
	if p == nil || graphOf(p) == nil {
		return nil, errors.New("exec: no plan to run")
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = DefaultParallelism
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Output == nil {
		opts.Output = ui.Discard
	}
	masker, err := newMasker(p, opts.Secrets, opts.Sensitive)
	if err != nil {
		return nil, err
	}
	order, err := graphOf(p).TopoOrder()
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	r := &scheduler{
		p: p, opts: opts, now: opts.Clock, out: opts.Output, masker: masker, order: order,
		log:   opts.Logger.Named("exec").With("run", opts.RunID),
		nodes: make(map[string]*NodeResult, len(order)),
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	r.logs = newLogBatcher(opts.Store, r.log, r.recordErr)
	return r, nil
}

// newMasker builds the run's masker. A value too short to mask is refused
// with an error that names the secret and its environment variable.
func newMasker(p *plan.Plan, secrets map[string]string, sensitive []string) (*mask.Masker, error) {
	names := make([]string, 0, len(secrets))
	for name := range secrets {
		names = append(names, name)
	}
	sort.Strings(names)
	values := make([]string, 0, len(names))
	for _, name := range names {
		if n := len(secrets[name]); n < mask.MinSecretLen {
			return nil, fmt.Errorf("secret %q: the value of %s has %d characters: %w; use a value of at least %d characters",
				name, secretEnv(p, name), n, mask.ErrSecretTooShort, mask.MinSecretLen)
		}
		values = append(values, secrets[name])
	}
	var long []string
	for _, v := range sensitive {
		if len(v) >= mask.MinSecretLen {
			long = append(long, v)
		}
	}
	m, err := mask.NewSets(mask.Set{Values: values}, mask.Set{Values: long, Replacement: mask.SensitiveReplacement})
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return m, nil
}

// check refuses a run that could not finish for reasons known up front.
func (r *scheduler) check() error {
	var errs []error
	missing := map[string][]string{} // secret name -> steps that list it
	var order []string
	for _, id := range r.order {
		if r.opts.Done[id] {
			continue
		}
		n := nodeOf(r.p, id)
		if n == nil {
			errs = append(errs, fmt.Errorf("exec: plan graph vertex %q has no node", id))
			continue
		}
		if n.Kind != plan.KindStep {
			if shown(n) && r.opts.Handler == nil {
				errs = append(errs, fmt.Errorf("node %s (%s): %w", id, n.Kind, ErrNoHandler))
			}
			continue
		}
		for _, s := range n.Step.Secrets {
			if _, ok := r.opts.Secrets[s]; !ok {
				if len(missing[s]) == 0 {
					order = append(order, s)
				}
				missing[s] = append(missing[s], id)
			}
		}
	}
	for _, s := range order {
		errs = append(errs, fmt.Errorf("secret %s: set %s in the environment of pipeline (%s %s): %w",
			s, secretEnv(r.p, s), stepsNoun(len(missing[s])), strings.Join(missing[s], ", "), ErrMissingSecret))
	}
	return errors.Join(errs...)
}

// readPrior reads the attempts the store already records for the run's
// nodes, so that a step run again after a crash, a failure or a cancel
// (resume) gets the next attempt number and its log lines never clash with
// those of the earlier attempts.
func (r *scheduler) readPrior(ctx context.Context) error {
	if r.opts.Store == nil {
		return nil
	}
	nodes, err := r.opts.Store.Nodes(ctx, r.opts.RunID)
	if err != nil {
		return fmt.Errorf("exec: reading the recorded attempts of run %s: %w", r.opts.RunID, err)
	}
	r.prior = make(map[string]int, len(nodes))
	for _, n := range nodes {
		r.prior[n.NodeID] = n.Attempts
	}
	return nil
}

// stepsNoun introduces the n steps that list a missing secret.
func stepsNoun(n int) string {
	if n == 1 {
		return "needed by step"
	}
	return "needed by steps"
}

// waiter is implemented by runners that finish work in the background,
// such as the Docker runner removing finished containers.
type waiter interface {
	Wait(ctx context.Context) error
}

// runnerWaitTimeout bounds how long Run waits for runners' background work.
const runnerWaitTimeout = 5 * time.Second

// waitRunners waits for the background work of every runner of the run, so
// that no container outlives Run.
func (r *scheduler) waitRunners(ctx context.Context) {
	all := []runners.Runner{r.opts.Runner}
	for _, name := range sortedKeys(r.opts.Runners) {
		all = append(all, r.opts.Runners[name])
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), runnerWaitTimeout)
	defer cancel()
	for _, rn := range all {
		if w, ok := rn.(waiter); ok {
			if err := w.Wait(ctx); err != nil {
				r.log.Warn("runner background work did not finish", "error", err)
			}
		}
	}
}

// visit runs one node; a non-nil error keeps its dependents from running.
// A panic in a runner, the Handler or Resolve fails the node instead of
// the process.
func (r *scheduler) visit(ctx context.Context, id string) (err error) {
	n := nodeOf(r.p, id)
	defer func() {
		if v := recover(); v != nil {
			r.log.Error("panic while running node", "node", id, "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("%s: internal error: %v", id, v)
			r.decidePanic(ctx, n, err)
		}
	}()
	if !shown(n) {
		if n.Kind == plan.KindStage {
			r.closeShared(ctx, id)
		}
		t := r.now()
		r.mu.Lock()
		r.nodes[id] = &NodeResult{ID: id, Kind: string(n.Kind), Status: StatusSucceeded, Started: t, Finished: t}
		r.mu.Unlock()
		return nil
	}
	if r.opts.Done[id] {
		t := r.now()
		r.finish(ctx, n, &NodeResult{Status: StatusReused, Reason: "succeeded in an earlier attempt of this run", Started: t, Finished: t}, false)
		return nil
	}
	if n.Kind == plan.KindStep {
		return r.runStep(ctx, n)
	}
	return r.runHandler(ctx, n)
}

// decidePanic fails n after a panic, unless it was already decided.
func (r *scheduler) decidePanic(ctx context.Context, n *plan.Node, err error) {
	r.mu.Lock()
	_, done := r.nodes[n.ID]
	r.mu.Unlock()
	if done {
		return
	}
	t := r.now()
	r.finish(ctx, n, &NodeResult{
		Status: StatusFailed, Attempts: 1, Started: t, Finished: t,
		Reason: r.masker.String(err.Error()) + "; this is a bug in pipeline, please report it",
	}, true)
}

// runHandler runs a gate, release or deploy node through the Handler.
func (r *scheduler) runHandler(ctx context.Context, n *plan.Node) error {
	nr := &NodeResult{Attempts: 1, Started: r.now()}
	r.started(ctx, n, nr, 1, 1)
	err := r.opts.Handler.RunNode(ctx, n)
	nr.Finished = r.now()
	switch {
	case err == nil:
		nr.Status = StatusSucceeded
	case errors.Is(err, ErrStop):
		nr.Status, nr.Reason = StatusStopped, r.masker.String(err.Error())
	case ctx.Err() != nil:
		nr.Status, nr.Reason = StatusCancelled, r.cancelReason(ctx)
	default:
		nr.Status, nr.Reason = StatusFailed, r.masker.String(err.Error())
	}
	r.finish(ctx, n, nr, true)
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", n.ID, err)
}

// cancelReason explains why ctx, the walk's context, is done.
func (r *scheduler) cancelReason(ctx context.Context) string {
	if errors.Is(context.Cause(ctx), errFailFast) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return "cancelled: --fail-fast after " + r.failed + " failed"
	}
	return "cancelled: the run was cancelled"
}

// started records and reports that attempt of n started.
func (r *scheduler) started(ctx context.Context, n *plan.Node, nr *NodeResult, attempt, max int) {
	r.out.Event(ui.Event{Kind: ui.NodeStarted, Time: r.now(), Node: n.ID, NodeKind: string(n.Kind), Attempt: attempt, MaxAttempts: max})
	r.put(ctx, &state.Node{
		NodeID: n.ID, Kind: string(n.Kind), Status: state.StatusRunning,
		Attempts: attempt, StartedAt: nr.Started,
	})
}

// finish stores nr as n's final result, reports it and, for a failure or
// a stop, marks every dependent not yet decided. record is false for
// reused nodes, which are already in the store.
func (r *scheduler) finish(ctx context.Context, n *plan.Node, nr *NodeResult, record bool) {
	nr.ID, nr.Kind = n.ID, string(n.Kind)
	r.mu.Lock()
	r.nodes[n.ID] = nr
	failedFirst := false
	if (nr.Status == StatusFailed || nr.Status == StatusTimedOut) && r.failed == "" {
		r.failed, failedFirst = n.ID, true
	}
	r.mu.Unlock()

	ev := ui.Event{
		Kind: ui.NodeFinished, Time: nr.Finished, Node: n.ID, NodeKind: nr.Kind,
		Attempt: nr.Attempts, MaxAttempts: maxAttempts(n), Status: nr.Status, Reason: nr.Reason,
		ExitCode: nr.ExitCode, Duration: nr.Duration(),
	}
	if nr.Attempts == 0 {
		// Reused, skipped or not reached: no attempt was made in this
		// process, so there is no "attempt N of M" to show.
		ev.MaxAttempts = 0
	}
	r.out.Event(ev)
	if record {
		r.record(ctx, nr)
	}
	switch nr.Status {
	case StatusFailed, StatusTimedOut:
		if failedFirst && r.opts.FailFast {
			r.cancelWalk(errFailFast)
		}
		r.markDownstream(ctx, n.ID, StatusSkipped, "skipped: "+n.ID+" failed", true)
	case StatusStopped:
		r.markDownstream(ctx, n.ID, StatusNotReached, "not reached: "+n.ID+" stopped", false)
	}
}

// markDownstream gives every transitive dependent of id that has no result
// yet the status and reason. A failure upstream outranks a stop: with
// overStop, a dependent already marked not reached (downstream of a gate
// that stopped first) is marked again, so that a node downstream of both a
// failure and a stopped gate is skipped whatever the timing.
func (r *scheduler) markDownstream(ctx context.Context, id, status, reason string, overStop bool) {
	g := graphOf(r.p)
	queue := g.Dependents(id)
	seen := make(map[string]bool)
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if seen[d] {
			continue
		}
		seen[d] = true
		if r.decide(ctx, d, status, reason, overStop) {
			queue = append(queue, g.Dependents(d)...)
		}
	}
}

// decide gives node id the status and reason if it has no result yet (or,
// with overStop, when it was only marked not reached) and reports whether
// it did.
func (r *scheduler) decide(ctx context.Context, id, status, reason string, overStop bool) bool {
	n := nodeOf(r.p, id)
	r.mu.Lock()
	if old, ok := r.nodes[id]; ok && !(overStop && old.Status == StatusNotReached) {
		r.mu.Unlock()
		return false
	}
	nr := &NodeResult{ID: id, Kind: string(n.Kind), Status: status, Reason: reason}
	r.nodes[id] = nr
	r.mu.Unlock()
	if !shown(n) {
		if n.Kind == plan.KindStage {
			r.closeShared(ctx, id)
		}
		return true
	}
	r.out.Event(ui.Event{Kind: ui.NodeSkipped, Time: r.now(), Node: id, NodeKind: nr.Kind, Status: status, Reason: reason})
	r.record(ctx, nr)
	return true
}

// settle decides every node the walk did not call: cancelled or skipped
// after fail-fast, or downstream of a failure the eager marking missed.
func (r *scheduler) settle(ctx, walkCtx context.Context, errs map[string]error) {
	failFast := errors.Is(context.Cause(walkCtx), errFailFast) && ctx.Err() == nil
	r.mu.Lock()
	failed := r.failed
	r.mu.Unlock()
	for _, id := range r.order {
		err := errs[id]
		var up *dag.UpstreamError
		switch {
		case err == nil:
		case failFast:
			r.decide(ctx, id, StatusSkipped, "skipped: --fail-fast after "+failed+" failed", false)
		case ctx.Err() != nil:
			r.decide(ctx, id, StatusCancelled, "cancelled: the run was cancelled before this node started", false)
		case errors.As(err, &up):
			r.decide(ctx, id, StatusSkipped, "skipped: "+r.rootCause(up.Upstream)+" did not succeed", false)
		default:
			r.decide(ctx, id, StatusCancelled, "cancelled: the run was cancelled before this node started", false)
		}
	}
}

// rootCause follows skipped nodes up to the node that failed or stopped.
func (r *scheduler) rootCause(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 0; i < len(r.order); i++ {
		nr, ok := r.nodes[id]
		if !ok || (nr.Status != StatusSkipped && nr.Status != StatusNotReached) {
			return id
		}
		deps := graphOf(r.p).Deps(id)
		next := ""
		for _, d := range deps {
			if dr, ok := r.nodes[d]; ok && dr.Status != StatusSucceeded && dr.Status != StatusReused {
				next = d
				break
			}
		}
		if next == "" {
			return id
		}
		id = next
	}
	return id
}

// result assembles the Result once every node is decided.
func (r *scheduler) result(ctx context.Context, wall time.Duration) *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := &Result{Nodes: r.nodes, Order: r.order, Wall: wall}
	var failed, stopped, cancelled bool
	for _, nr := range r.nodes {
		switch nr.Status {
		case StatusFailed, StatusTimedOut:
			failed = true
		case StatusStopped:
			stopped = true
		case StatusCancelled:
			cancelled = true
		}
	}
	switch {
	case ctx.Err() != nil && cancelled:
		res.Status = StatusCancelled
	case failed:
		res.Status = StatusFailed
	case cancelled:
		res.Status = StatusCancelled
	case stopped:
		res.Status = StatusStopped
	default:
		res.Status = StatusSucceeded
	}
	for _, id := range graphOf(r.p).CriticalPath(func(id string) float64 {
		if nr, ok := r.nodes[id]; ok {
			return nr.Duration().Seconds()
		}
		return 0
	}) {
		// Only nodes that ran in this walk: not those skipped, not
		// reached, reused from an earlier attempt or cancelled before
		// they started, which took no time here.
		if nr := r.nodes[id]; shown(nodeOf(r.p, id)) && nr != nil && nr.Attempts > 0 {
			res.CriticalPath = append(res.CriticalPath, id)
		}
	}
	return res
}

func maxAttempts(n *plan.Node) int {
	if n.Kind == plan.KindStep && n.Step != nil {
		return 1 + n.Step.Retries
	}
	return 1
}
