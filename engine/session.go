package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine/cache"
	"github.com/pipeline-cd/pipeline/engine/checkout"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/history"
	"github.com/pipeline-cd/pipeline/engine/images"
	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/notify"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/trust"
	"github.com/pipeline-cd/pipeline/runners"
)

// session is one execution of a run's plan in this process (a run, a
// resume, a deploy or a rollback). It is the exec.Handler for gate,
// release and deploy nodes.
type session struct {
	e       *Engine
	res     *loader.Result
	cfg     *dsl.Config
	rec     *recorded
	plan    *plan.Plan
	run     *state.Run
	trusted map[string]rules.Env
	// notifyCfg is the config whose notify blocks are told about the run:
	// the trusted one (see applyTrusted); nil: nobody.
	notifyCfg *dsl.Config
	// tr is what the trusted ref says about the change (see applyTrusted).
	tr *trust.Result
	// fresh lists the environments left out because the trusted ref
	// does not define them (see leaveOutFresh).
	fresh []string
	// branchWhy, when set, says why the run's branch is unknown (a CI
	// variable's claim that could not be proven); branches rules refuse
	// the release and say so.
	branchWhy string
	// untrusted, when set, is why the run has no trusted protection rules:
	// its environments are refused (see applyTrusted).
	untrusted error
	// trustedHost holds the steps the trusted ref's config runs with
	// runner = "local" (plan.HostSteps): they need no --allow-host.
	trustedHost map[string]bool
	// dirty, when set, is why the run creates no release and deploys
	// nowhere: it runs from a working tree with modified tracked files
	// (without --allow-dirty). Its release and deploy nodes fail with it.
	dirty error
	// deployKind is the kind of deployment records this session creates.
	deployKind string
	wait       bool
	waitLock   time.Duration
	// reopened holds the environments whose deployment this run began
	// before it stopped without finishing it (resume after a crash, a
	// failure or a cancel): their deploy nodes begin it again, under the
	// lock, even when the environment has gates. Set before execute; read
	// only while it runs.
	reopened map[string]bool

	mu       sync.Mutex
	scope    dsl.Scope
	rel      *state.Release
	deps     map[string]*state.Deployment // environment -> this run's deployment
	locks    map[string]*heldLock
	waits    []GateWait
	decision string // rejected or expired, when a gate ended the run
	nodeErr  error  // the first error of a release, deploy or gate node
	finals   map[string]bool
	// images holds the step images of image blocks by name, set before
	// the plan runs (buildStepImages).
	images map[string]stepImage
	// whenFalse holds the steps skipped in this process because their
	// when condition is false: like a success, they complete their
	// environment's deployment (see finalDone).
	whenFalse map[string]bool
}

// finalDone reports whether a final node of an environment with the given
// status completes the deployment: it succeeded (or was reused), or it is
// a step skipped because its when condition is false.
func (s *session) finalDone(id, status string) bool {
	switch status {
	case exec.StatusSucceeded, exec.StatusReused:
		return true
	case exec.StatusSkipped:
		s.mu.Lock()
		defer s.mu.Unlock()
		return skippedByWhen(s.plan, id, s.whenFalse)
	}
	return false
}

// skippedByWhen reports whether step id of p is skipped because its when
// condition is false: known false when planning (exec skips it without
// resolving it), or found false just before it ran (late).
func skippedByWhen(p *plan.Plan, id string, late map[string]bool) bool {
	if late[id] {
		return true
	}
	n := p.Node(id)
	if n == nil || n.Kind != plan.KindStep || n.Step == nil || n.Step.Values == nil {
		return false
	}
	w := n.Step.Values.When
	return w.Known && !w.Value
}

// groupsOf returns the groups of trusted, plus those of head that trusted
// does not define.
func groupsOf(trusted, head *dsl.Config) map[string][]string {
	out := map[string][]string{}
	for _, c := range []*dsl.Config{head, trusted} {
		if c == nil {
			continue
		}
		for name, g := range c.Groups {
			out[name] = g.Members
		}
	}
	return out
}

// execute runs the plan (skipping done nodes) and records the outcome.
func (s *session) execute(ctx context.Context, done map[string]bool, warnings []string) (*RunResult, error) {
	e := s.e
	name := s.rec.Runner
	if name == "" {
		name = e.opts.DefaultRunner
	}
	def := e.opts.Runners[name]
	if def == nil && s.usesDefaultRunner(done) {
		return nil, s.abort(ctx, invalid(fmt.Errorf("runner %q is not available; use --runner local or --runner docker", name)))
	}
	workspace, cleanup, err := s.workspace()
	if err != nil {
		return nil, s.abort(ctx, err)
	}
	defer cleanup()
	// Containers of dead pipeline processes are removed while the run
	// goes on: they carry another PID, so this run's are never touched,
	// and a cached run need not wait for the engine's answer.
	cleaned := make(chan struct{})
	go func() {
		defer close(cleaned)
		e.cleanupContainers(ctx)
	}()
	defer func() { <-cleaned }()
	s.buildStepImages(ctx, done)
	res, err := exec.Run(ctx, s.plan, exec.Options{
		Parallelism: s.rec.Parallelism, FailFast: s.rec.FailFast,
		Runner: def, Runners: e.opts.Runners, Workspace: workspace, Secrets: s.secrets(), Sensitive: s.cfg.SensitiveValues(),
		Store: e.store, RunID: s.run.ID, Done: done, Resolve: s.resolve, Handler: s, LogLimit: e.opts.LogLimit,
		Output: &settleSink{next: e.opts.Output, s: s}, Clock: e.opts.Clock, Logger: e.logger.Named("exec"),
		Cache: e.stepCache(), NoCache: s.rec.NoCache, User: e.opts.StepUser, CacheRoot: cacheRoot(s.res),
	})
	if res == nil {
		return nil, s.abort(ctx, failed(fmt.Errorf("run %s could not start: %w", s.run.ID, err)))
	}
	if err != nil {
		e.logger.Warn("recording the run was incomplete", "run", s.run.ID, "error", err)
	}
	return s.finish(ctx, res, warnings)
}

// workspace returns the directory the steps run in and what removes it.
// A deploy or rollback run in git runs from a temporary checkout of its
// release's commit (see engine/checkout), so the release's own scripts
// run; every other run uses the config directory as it is.
func (s *session) workspace() (string, func(), error) {
	root := s.res.RepoRoot
	if root == "" || s.run.Commit == "" || (s.run.Kind != "deploy" && s.run.Kind != "rollback") {
		return s.res.AbsDir, func() {}, nil
	}
	if n, err := checkout.Sweep(root, s.e.checkoutHost(), false); err != nil {
		s.e.logger.Warn("removing checkouts of dead pipeline processes", "error", err)
	} else if n > 0 {
		s.e.logger.Info("removed checkouts of dead pipeline processes", "count", n)
	}
	what := fmt.Sprintf("release %s", s.rec.Version)
	if err := checkout.Available(root, s.run.Commit, what); err != nil {
		return "", nil, invalid(err)
	}
	co, err := checkout.Add(root, s.run.Commit, checkout.Owner{Host: s.e.checkoutHost(), PID: s.e.opts.PID, RunID: s.run.ID, Since: s.e.now()})
	if err != nil {
		return "", nil, failed(fmt.Errorf("checking out commit %.12s of %s to run its steps: %w", s.run.Commit, what, err))
	}
	s.e.logger.Debug("running the release's steps from a checkout of its commit", "commit", s.run.Commit, "dir", co.Root)
	return co.Dir(s.res.Component), func() {
		if err := co.Remove(); err != nil {
			s.e.logger.Warn("removing the checkout of the release's commit; `pipeline gc` removes it later", "dir", co.Root, "error", err)
		}
	}, nil
}

// usesDefaultRunner reports whether a step of the plan that is still to
// run names no runner and so needs the default one. A config whose steps
// all say runner = "local" needs no Docker runner.
func (s *session) usesDefaultRunner(done map[string]bool) bool {
	for _, n := range s.plan.Nodes {
		if n.Kind == plan.KindStep && n.Step.Runner == "" && !done[n.ID] {
			return true
		}
	}
	return false
}

// abort marks a run that could not start as failed and returns err.
func (s *session) abort(ctx context.Context, err error) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	s.run.Status, s.run.Reason, s.run.FinishedAt, s.run.PID = state.StatusFailed, err.Error(), s.e.now(), 0
	if uerr := s.e.store.UpdateRun(wctx, s.run); uerr != nil {
		s.e.logger.Warn("recording the failed run", "run", s.run.ID, "error", uerr)
	}
	return err
}

// secrets reads the values of the config's secret blocks from the
// environment; missing ones are left out (exec refuses steps that list them).
func (s *session) secrets() map[string]string {
	out := map[string]string{}
	var values []string
	for name, sec := range s.cfg.Secrets {
		if v, ok := s.e.opts.Getenv(sec.Env); ok {
			out[name] = v
			values = append(values, v)
		}
	}
	// Whatever a step receives, the store masks too.
	if s.e.masks != nil {
		s.e.masks.Add(mask.Set{Values: values})
	}
	return out
}

// resolve evaluates a step just before it runs, with the release values
// known by then (release.artifacts.NAME as the runner sees the file).
func (s *session) resolve(n *plan.Node, outputs map[string]map[string]string) (*runners.Step, error) {
	s.mu.Lock()
	scope := s.scope
	s.mu.Unlock()
	scope.Outputs = outputs
	scope, artifacts := s.artifactScope(n, scope)
	v, diags := s.cfg.EvalStep(n.StageDef, n.Step.Def, scope)
	if diags.HasErrors() {
		return nil, fmt.Errorf("evaluating step %s: %w", n.ID, diags)
	}
	if ref := v.ImageRef; ref != "" {
		s.mu.Lock()
		img, ok := s.images[ref]
		s.mu.Unlock()
		switch {
		case !ok:
			// Not built: the step runs on the host (--runner local),
			// where images do not apply.
			v.Image = dsl.Text{Known: true, Source: "image." + ref}
		case img.err != nil:
			return nil, fmt.Errorf("step %s: %w", n.ID, img.err)
		default:
			v.Image = dsl.Text{Value: img.tag, Known: true, Source: "image." + ref}
		}
	}
	st, err := stepFromValues(n.ID, v)
	if errors.Is(err, exec.ErrWhenFalse) {
		s.mu.Lock()
		if s.whenFalse == nil {
			s.whenFalse = map[string]bool{}
		}
		s.whenFalse[n.ID] = true
		s.mu.Unlock()
	}
	if st != nil {
		st.Artifacts = artifacts
	}
	return st, err
}

func stepFromValues(id string, v *dsl.StepValues) (*runners.Step, error) {
	var unknown []string
	text := func(what string, t dsl.Text) string {
		if !t.Known {
			unknown = append(unknown, what+" = "+t.Display())
		}
		return t.Value
	}
	if v.When.Known && !v.When.Value {
		return nil, fmt.Errorf("%w: %s", exec.ErrWhenFalse, v.When.Source)
	}
	if !v.When.Known {
		unknown = append(unknown, "when = "+v.When.Source)
	}
	st := &runners.Step{Env: map[string]string{}}
	if v.Run != nil {
		st.Script = text("run", *v.Run)
	}
	for i, c := range v.Command {
		st.Command = append(st.Command, text(fmt.Sprintf("command[%d]", i), c))
	}
	st.Image = text("image", v.Image)
	keys := make([]string, 0, len(v.Env))
	for k := range v.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		st.Env[k] = text("env."+k, v.Env[k])
	}
	if v.Workdir != nil {
		st.Workdir = text("workdir", *v.Workdir)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("step %s: %w: %v", id, exec.ErrUnknownValue, unknown)
	}
	if !v.Image.Known {
		st.Image = ""
	}
	return st, nil
}

// RunNode runs the release, deploy and gate nodes of the plan.
func (s *session) RunNode(ctx context.Context, n *plan.Node) error {
	var err error
	switch n.Kind {
	case plan.KindRelease:
		if err = s.dirty; err != nil {
			err = fmt.Errorf("no release is created: %w", err)
		} else {
			err = s.createRelease(ctx, n)
		}
	case plan.KindDeploy:
		err = s.deployNode(ctx, n)
	case plan.KindGate:
		err = s.gate(ctx, n)
	}
	if err != nil && !errors.Is(err, exec.ErrStop) && ctx.Err() == nil {
		s.mu.Lock()
		if s.nodeErr == nil {
			s.nodeErr = fmt.Errorf("%s: %w", n.ID, err)
		}
		s.mu.Unlock()
	}
	return err
}

// finish settles deployments and locks and records the run's outcome.
func (s *session) finish(ctx context.Context, res *exec.Result, warnings []string) (*RunResult, error) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	s.settleDeployments(wctx, res)
	s.releaseLocks(wctx)

	run := s.run
	run.PID, run.FinishedAt = 0, s.e.now()
	var err error
	switch res.Status {
	case exec.StatusSucceeded:
		run.Status, run.Reason = state.StatusSucceeded, ""
	case exec.StatusStopped:
		run.Status, run.FinishedAt = state.StatusWaiting, time.Time{}
		run.Reason = "waiting for approval at " + gateNames(s.waits)
		err = &WaitingError{RunID: run.ID, Gates: s.waits}
	case exec.StatusCancelled:
		run.Status, run.Reason = state.StatusCancelled, "cancelled"
		err = failed(fmt.Errorf("run %s was cancelled", run.ID))
		if cerr := s.closeWaitingGates(wctx); cerr != nil {
			err = errors.Join(err, failed(cerr))
		}
	default:
		run.Status, run.Reason = state.StatusFailed, failureReason(res)
		if s.decision != "" {
			run.Status = s.decision
		}
		// "run X failed: why" says it once; the error still matches
		// ErrRunFailed and the node's own error.
		if s.nodeErr != nil {
			err = failed(&runError{msg: fmt.Sprintf("run %s %s: %v%s", run.ID, run.Status, s.nodeErr, alsoFailed(res)), cause: s.nodeErr})
		} else {
			err = failed(&runError{msg: fmt.Sprintf("run %s %s: %s", run.ID, run.Status, run.Reason)})
		}
	}
	if uerr := s.e.store.UpdateRun(wctx, run); uerr != nil {
		err = errors.Join(err, failed(fmt.Errorf("recording the outcome of run %s: %w", run.ID, uerr)))
	}
	switch run.Status {
	case state.StatusSucceeded:
		s.notify(wctx, "run_succeeded", "", "")
	case state.StatusFailed, state.StatusRejected, state.StatusExpired:
		s.notify(wctx, "run_failed", "", "")
	}
	out := &RunResult{Run: run, Exec: res, Release: s.rel, Waiting: s.waits, Warnings: warnings}
	for _, d := range s.deps {
		out.Deployments = append(out.Deployments, d)
	}
	sort.Slice(out.Deployments, func(i, j int) bool { return out.Deployments[i].StartedAt.Before(out.Deployments[j].StartedAt) })
	return out, err
}

// runError is a failed, rejected or expired run: its message names the
// run and why once, and it matches ErrRunFailed and its cause.
type runError struct {
	msg   string
	cause error
}

func (r *runError) Error() string { return r.msg }

// Unwrap returns ErrRunFailed and the cause, if any.
func (r *runError) Unwrap() []error {
	if r.cause == nil {
		return []error{ErrRunFailed}
	}
	return []error{ErrRunFailed, r.cause}
}

func gateNames(ws []GateWait) string {
	var names []string
	for _, w := range ws {
		names = append(names, w.Environment+"/"+w.Gate)
	}
	return fmt.Sprint(names)
}

// failureReason names the first failed node and why.
// failureReason describes a failed run: the first failed node with its
// reason or exit code, then the list of every failed node when there are
// more.
func failureReason(res *exec.Result) string {
	ids := failedNodes(res)
	if len(ids) == 0 {
		return "failed"
	}
	n := res.Nodes[ids[0]]
	first := fmt.Sprintf("%s failed with exit code %d", ids[0], n.ExitCode)
	if n.Reason != "" {
		first = fmt.Sprintf("%s %s: %s", ids[0], n.Status, n.Reason)
	}
	return first + alsoFailed(res)
}

// alsoFailed returns "; 3 nodes failed: a, b, c" when more than one node
// of res failed or timed out, else "".
func alsoFailed(res *exec.Result) string {
	ids := failedNodes(res)
	if len(ids) < 2 {
		return ""
	}
	return fmt.Sprintf("; %d nodes failed: %s", len(ids), strings.Join(ids, ", "))
}

// failedNodes returns the nodes of res that failed or timed out, in plan
// order.
func failedNodes(res *exec.Result) []string {
	var ids []string
	for _, id := range res.Order {
		if n := res.Nodes[id]; n != nil && (n.Status == exec.StatusFailed || n.Status == exec.StatusTimedOut) {
			ids = append(ids, id)
		}
	}
	return ids
}

// notify sends the event kind to the notify blocks of the trusted config
// (see applyTrusted): a rollback to a release older than a notify block
// still notifies. A deploy_* or rollback event carries the release's
// commit, the version live before and the commits the deployment carries.
// Failures are logged by the notifier and never fail the run.
func (s *session) notify(ctx context.Context, kind, env, gate string) {
	if s.notifyCfg == nil || len(s.notifyCfg.Notifies) == 0 {
		return
	}
	ev := notify.Event{Kind: kind, Pipeline: s.run.Pipeline, Environment: env, Version: s.rec.Version,
		RunID: s.run.ID, Gate: gate, Actor: s.e.actor(), Commit: s.run.Commit}
	if env != "" && (strings.HasPrefix(kind, "deploy_") || kind == "rollback") {
		s.deploymentFacts(ctx, &ev)
	}
	s.mu.Lock()
	scope := s.scope
	s.mu.Unlock()
	s.e.send(ctx, s.notifyCfg, scope, ev)
}

// deploymentFacts fills the commits of this run's deployment to
// ev.Environment and the version live there before it.
func (s *session) deploymentFacts(ctx context.Context, ev *notify.Event) {
	s.mu.Lock()
	d := s.deps[ev.Environment]
	s.mu.Unlock()
	deps, err := s.e.store.ListDeployments(ctx, state.DeploymentFilter{Pipeline: s.run.Pipeline, Environment: ev.Environment})
	if err != nil {
		s.e.logger.Warn("notify: reading the deployments of the environment", "environment", ev.Environment, "error", err)
		return
	}
	if d == nil {
		if live := history.Live(deps); live != nil {
			ev.PreviousVersion = live.Version
		}
		return
	}
	for _, c := range d.Commits {
		ev.Commits = append(ev.Commits, notify.Commit{SHA: c.SHA, Author: c.Author, Subject: c.Subject})
	}
	var before []*state.Deployment
	for _, o := range deps {
		if o.ID != d.ID && !o.FinishedAt.IsZero() && !o.FinishedAt.After(d.StartedAt) {
			before = append(before, o)
		}
	}
	if live := history.Live(before); live != nil {
		ev.PreviousVersion = live.Version
	}
}

// send posts ev to the hooks of cfg evaluated in scope.
func (e *Engine) send(ctx context.Context, cfg *dsl.Config, scope dsl.Scope, ev notify.Event) {
	hooks := notify.HooksOf(cfg, scope, e.logger)
	if len(hooks) == 0 {
		return
	}
	(&notify.Notifier{Hooks: hooks, Logger: e.logger}).Send(ctx, ev)
}

// notifyRun sends ev about run from outside a session (a gate approved,
// rejected or expired) to the notify blocks of the run's trusted config:
// the config at its recorded trusted ref, or outside git the working
// tree's. In git without a trusted ref nothing is sent.
func (e *Engine) notifyRun(ctx context.Context, run *state.Run, rec *recorded, ev notify.Event) {
	if rec.Dir == "" {
		return
	}
	// The run's own config (at its commit in git) names the pipeline whose
	// trusted config trust.Load reads.
	head, _ := loader.Load(loader.Request{Dir: rec.Dir, Vars: rec.Vars, Getenv: e.opts.Getenv})
	if head != nil && head.RepoRoot != "" && run.Commit != "" {
		head, _ = loader.Load(loader.Request{Dir: rec.Dir, Ref: run.Commit, Vars: rec.Vars, Getenv: e.opts.Getenv})
	}
	if head == nil || head.Config == nil || head.Config.Pipeline == nil {
		return
	}
	cfg := head.Config
	if tr := trust.Load(trust.Request{Head: head, Ref: rec.TrustedRef, Getenv: e.opts.Getenv}); tr.InGit() {
		cfg = tr.Config // nil when refused or not on the trusted ref yet: nobody is told
	}
	if cfg == nil {
		return
	}
	ev.Pipeline, ev.RunID, ev.Version, ev.Commit = run.Pipeline, run.ID, rec.Version, run.Commit
	e.send(ctx, cfg, dsl.Scope{RunID: run.ID, Release: &dsl.ReleaseValues{Version: rec.Version}}, ev)
}

// stepCache returns the cache of reusable step results, kept in the state
// store with its output files below the artifact store; nil (every step
// runs) when the engine has no artifact store.
func (e *Engine) stepCache() *cache.Cache {
	if e.opts.ArtifactDir == "" {
		return nil
	}
	return cache.New(e.store, e.opts.ArtifactDir, e.opts.Clock)
}

// cacheRoot is the directory whose .pipeline/cache holds the tool caches of
// steps on the host: the repository root, else the pipeline directory.
func cacheRoot(res *loader.Result) string {
	if res.RepoRoot != "" {
		return res.RepoRoot
	}
	return res.AbsDir
}

// stepImage is the outcome of making one image block's image present.
type stepImage struct {
	tag string
	err error
}

// buildStepImages makes the image of every image block that a step still
// to run uses present in the engine, building those whose context digest
// has no image yet, before any step runs. A failed build is kept and fails
// the steps that use the image (see resolve), not the run's other steps.
func (s *session) buildStepImages(ctx context.Context, done map[string]bool) {
	def := s.rec.Runner
	if def == "" {
		def = s.e.opts.DefaultRunner
	}
	refs := map[string]bool{}
	for _, n := range s.plan.Nodes {
		if n.Kind != plan.KindStep || done[n.ID] || n.Step.Values.ImageRef == "" {
			continue
		}
		runner := n.Step.Runner
		if runner == "" {
			runner = def
		}
		if runner == "docker" { // a step run on the host (--runner local) needs no image
			refs[n.Step.Values.ImageRef] = true
		}
	}
	if len(refs) == 0 {
		return
	}
	out := make(map[string]stepImage, len(refs))
	for _, name := range sortedKeys(refs) {
		block := s.cfg.StepImages[name]
		switch {
		case block == nil:
			out[name] = stepImage{err: fmt.Errorf("image %q is not declared", name)}
		case s.e.opts.Images == nil:
			out[name] = stepImage{err: fmt.Errorf("image %s needs the Docker engine to build it, and none is connected; start dockerd or set DOCKER_HOST", name)}
		default:
			img, err := images.Ensure(ctx, s.e.opts.Images, images.Spec{Pipeline: s.cfg.Pipeline.Name, Name: name,
				Dir: s.res.AbsDir, Context: block.Context, Dockerfile: block.Dockerfile, Args: block.Args})
			if err != nil {
				out[name] = stepImage{err: fmt.Errorf("building image %s (%s): %w", name, block.DeclRange, err)}
				continue
			}
			if img.Built {
				s.e.logger.Info("built step image", "image", name, "tag", img.Tag, "id", img.ID)
			}
			out[name] = stepImage{tag: img.Tag}
		}
	}
	s.mu.Lock()
	s.images = out
	s.mu.Unlock()
}
