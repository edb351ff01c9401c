package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/images"
	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/ui"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/dryrun"
)

// DryRunResult is the outcome of a dry run.
type DryRunResult struct {
	// Exec is the walk: steps succeed without running, a gate is stopped
	// and the nodes after it are not reached, a refused environment fails.
	Exec *exec.Result
	// Gates are the gates a real run would stop at for approval, in the
	// order the walk reached them (RunID is empty).
	Gates []GateWait
	// TrustedRef is the ref the protection rules came from, as for a run
	// ("" outside git, where the working tree's config is the only one).
	TrustedRef string
	// Warnings are those a run would print (the differences between the
	// change's rules and the trusted ones, environments refused), then the
	// secrets whose environment variable is not set.
	Warnings []string
	// NotStarting, when set, is why a real run would not start at all (a
	// secret a step lists is not set, or too short to mask): the walk
	// still shows what it would do once that is fixed, and Code is 1.
	NotStarting error
}

// Code returns the exit code a real run would end with: 0 when it would
// succeed, 3 when it would stop at a gate, 1 when a step or an environment
// would fail or be refused.
func (r *DryRunResult) Code() int {
	if r.NotStarting != nil {
		return CodeFailed
	}
	switch r.Exec.Status {
	case exec.StatusSucceeded:
		return 0
	case exec.StatusStopped:
		return CodeWaiting
	}
	return CodeFailed
}

// DryRun walks the plan of req.Config as a run would, evaluating when
// conditions, and reports through Options.Output what would run, without
// running anything, touching Docker or writing to the state store (the
// Engine may have a nil Store; when it has one, a release version that
// already exists fails the dry run as it fails the run).
//
// It prepares the run exactly as Run does (Engine.begin): the protection
// rules (gates, branches, requires) are read from the trusted ref and
// applied, with the same warnings, and every deploy node passes the same
// admit as a run's, so an environment a run would refuse fails here with
// the same reason. The release passes as if recorded; a gate stops its
// branch, as a real run would, with "would stop here for approval" and its
// trusted approvers, and the nodes after it are not reached. Values known
// only at run time are shown as their source text. A secret a step lists
// that is not set (or too short to mask) does not stop the walk: it is a
// warning, and NotStarting says, with the run's own check (exec.Check),
// that a run would not start.
func (e *Engine) DryRun(ctx context.Context, req RunRequest) (*DryRunResult, error) {
	s, warnings, err := e.begin(req, "dry-run")
	if err != nil {
		return nil, err
	}
	if s.dirty == nil && e.store != nil {
		if err := s.checkVersionFree(ctx); err != nil {
			return nil, err
		}
	}
	res := req.Config
	dr := describeRunner{inner: dryrun.New(true), notes: dryNotes(s.plan, res.AbsDir)}
	names := map[string]runners.Runner{"docker": dr, "local": dr}
	secrets := map[string]string{}
	for _, name := range sortedKeys(res.Config.Secrets) {
		// A secret that is set masks its real value in what the dry run
		// prints (a step may also read it with env()); one that is not
		// gets a stand-in so that its steps are still walked.
		secrets[name] = "dry-run-secret-" + name
		if env := res.Config.Secrets[name].Env; env != "" {
			v, ok := e.opts.Getenv(env)
			if !ok {
				warnings = append(warnings, fmt.Sprintf("secret %s: %s is not set in the environment of pipeline; a real run would not start while a step lists it", name, env))
			} else if len(v) >= mask.MinSecretLen {
				secrets[name] = v
			}
		}
	}
	h := &dryHandler{s: s, status: map[string]string{}}
	// Would the run start? The same check with the run's own secrets.
	notStarting := exec.Check(s.plan, exec.Options{Runner: dr, Runners: names, Secrets: s.secrets(), Sensitive: s.cfg.SensitiveValues(), Handler: h})
	if notStarting != nil {
		notStarting = fmt.Errorf("a run would not start: %w", notStarting)
	}
	out, err := exec.Run(ctx, s.plan, exec.Options{
		Parallelism: req.Parallelism, FailFast: req.FailFast, Runner: dr, Runners: names,
		Workspace: res.AbsDir, Secrets: secrets, Sensitive: res.Config.SensitiveValues(), Resolve: h.resolve, Handler: h,
		Output: &dryStatus{next: e.opts.Output, h: h}, Clock: e.opts.Clock, Logger: e.logger.Named("dry-run"),
	})
	if err != nil {
		return nil, failed(fmt.Errorf("dry run: %w", err))
	}
	return &DryRunResult{Exec: out, Gates: h.gates, TrustedRef: s.rec.TrustedRef, Warnings: warnings, NotStarting: notStarting}, nil
}

// PlanResult is a plan with the protection rules of the trusted ref
// applied, as a run would apply them.
type PlanResult struct {
	Plan *plan.Plan
	// TrustedRef, Warnings: as for a run (see RunInfo).
	TrustedRef string
	Warnings   []string
	// Refused maps the environments a run would refuse, whatever its steps
	// do, to why: the same admit a run's deploy node passes, with the
	// environments it requires that are in the plan counted as deployed.
	Refused map[string]string
	// NotStarting, when set, is why a run would not start in this
	// environment (a secret a step lists is not set, or too short).
	NotStarting error
}

// Plan plans req.Config as Run does (Engine.begin: the gates, branches and
// requires of the trusted ref applied, with the same warnings) and says
// which environments a run would refuse and why. run.* and release.*
// values stay unknown. It runs nothing and reads no state (the Engine may
// have a nil Store).
func (e *Engine) Plan(req RunRequest) (*PlanResult, error) {
	s, warnings, err := e.begin(req, "")
	if err != nil {
		return nil, err
	}
	out := &PlanResult{Plan: s.plan, TrustedRef: s.rec.TrustedRef, Warnings: warnings, Refused: map[string]string{}}
	if err := exec.Check(s.plan, exec.Options{Runner: dryrun.New(true), Secrets: s.secrets(), Sensitive: s.cfg.SensitiveValues(), Handler: &dryHandler{s: s}}); err != nil {
		out.NotStarting = fmt.Errorf("a run would not start: %w", err)
	}
	inPlan := func(env string) bool { return s.plan.Node(envKind+"."+env) != nil }
	for _, n := range s.plan.Nodes {
		if n.Kind == plan.KindDeploy {
			if err := s.admit(n, inPlan); err != nil {
				out.Refused[n.Env.Name] = err.Error()
			}
		}
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dryResolve builds the step from its plan values, showing unknown values
// as their source text; an unknown when counts as true.
func dryResolve(n *plan.Node) (*runners.Step, error) {
	v := n.Step.Values
	if v.When.Known && !v.When.Value {
		return nil, fmt.Errorf("%w: %s", exec.ErrWhenFalse, v.When.Source)
	}
	show := func(t dsl.Text) string {
		if t.Known {
			return t.Value
		}
		return t.Display()
	}
	st := &runners.Step{Env: map[string]string{}, Image: show(v.Image)}
	if n.Step.Shared {
		st.Labels = map[string]string{runners.LabelShared: n.Stage}
	}
	if v.Run != nil {
		st.Script = show(*v.Run)
	}
	for _, c := range v.Command {
		st.Command = append(st.Command, show(c))
	}
	keys := make([]string, 0, len(v.Env))
	for k := range v.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		st.Env[k] = show(v.Env[k])
	}
	if v.Workdir != nil {
		st.Workdir = show(*v.Workdir)
	}
	return st, nil
}

// describeRunner writes what a step would run, then lets the dry-run
// runner accept it without running anything. notes holds, by step ID, the
// lines to print first (image builds, reuse).
type describeRunner struct {
	inner *dryrun.Runner
	notes map[string][]string
}

// dryNotes says, for each step, what a run would do before running it:
// build its image (with the tag its context digest gives now) and look
// for a reusable result. The dry run reads neither Docker nor the state
// store, so it cannot say whether the image exists or the result matches.
func dryNotes(p *plan.Plan, dir string) map[string][]string {
	notes := map[string][]string{}
	for _, n := range p.Nodes {
		if n.Kind != plan.KindStep {
			continue
		}
		if ref := n.Step.Values.ImageRef; ref != "" && p.Config != nil && p.Config.StepImages[ref] != nil {
			b := p.Config.StepImages[ref]
			tag, _, err := images.Plan(images.Spec{Pipeline: p.Pipeline, Name: ref, Dir: dir, Context: b.Context, Dockerfile: b.Dockerfile, Args: b.Args})
			if err != nil {
				notes[n.ID] = append(notes[n.ID], fmt.Sprintf("would build image %s, but: %v", ref, err))
			} else {
				notes[n.ID] = append(notes[n.ID], fmt.Sprintf("would build image %s from %s as %s, unless the Docker engine has that tag already (its context is unchanged)",
					ref, filepath.ToSlash(filepath.Join(b.Context, b.Dockerfile)), tag))
			}
		}
		if len(n.Step.Inputs) > 0 && n.StageKind != dsl.KindEnvironment {
			notes[n.ID] = append(notes[n.ID], "would be reused instead of run if a recorded run succeeded with the same key (image, command, env, secret names, the files of inputs, needed steps); the dry run reads no state, so it cannot tell; --no-cache runs it")
		}
	}
	return notes
}

func (d describeRunner) Run(ctx context.Context, st *runners.Step, stdout, stderr io.Writer) (*runners.Result, error) {
	what := st.Script
	if what == "" {
		what = strings.Join(st.Command, " ")
	}
	where := "on the host"
	if st.Image != "" {
		where = "in " + st.Image
	}
	for _, note := range d.notes[st.ID] {
		fmt.Fprintln(stdout, note)
	}
	if stage := st.Labels[runners.LabelShared]; stage != "" {
		where += " (an exec in the shared container of " + stage + ")"
	}
	fmt.Fprintf(stdout, "would run %s: %s\n", where, what)
	return d.inner.Run(ctx, st, stdout, stderr)
}

// dryHandler runs the release, deploy and gate nodes of a dry run: the
// release passes unless the run would create none; a deploy node passes
// the session's admit, with the environments it requires counted as
// deployed when their final nodes succeeded in this walk (as a run counts
// its own deployments); a gate stops its branch and is remembered.
type dryHandler struct {
	s      *session
	mu     sync.Mutex
	gates  []GateWait
	status map[string]string // node ID -> status in this walk
	// whenFalse: the steps skipped because their when is false, which
	// complete a deployment as a success does (see session.finalDone).
	whenFalse map[string]bool
}

// resolve is dryResolve, remembering the steps whose when is false.
func (h *dryHandler) resolve(n *plan.Node) (*runners.Step, error) {
	st, err := dryResolve(n)
	if errors.Is(err, exec.ErrWhenFalse) {
		h.mu.Lock()
		if h.whenFalse == nil {
			h.whenFalse = map[string]bool{}
		}
		h.whenFalse[n.ID] = true
		h.mu.Unlock()
	}
	return st, err
}

func (h *dryHandler) RunNode(_ context.Context, n *plan.Node) error {
	switch n.Kind {
	case plan.KindRelease:
		if h.s.dirty != nil {
			return fmt.Errorf("no release is created: %w", h.s.dirty)
		}
		return nil
	case plan.KindDeploy:
		return h.s.admit(n, h.deployed)
	case plan.KindGate:
	default:
		return nil
	}
	g := n.Gate
	h.mu.Lock()
	h.gates = append(h.gates, GateWait{Environment: g.Environment, Gate: g.Name, Approvers: g.Approvers})
	h.mu.Unlock()
	approvers := "anyone"
	if len(g.Approvers) > 0 {
		approvers = strings.Join(g.Approvers, ", ")
	}
	return wouldStop(fmt.Sprintf("would stop here for approval (approvers: %s)", approvers))
}

// deployed reports whether environment env was deployed in this walk:
// every final node of its deployment succeeded or was skipped because its
// when is false (see session.settledHere).
func (h *dryHandler) deployed(env string) bool {
	n := h.s.plan.Node(envKind + "." + env)
	if n == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range n.Env.Final {
		if h.status[f] != exec.StatusSucceeded && !(h.status[f] == exec.StatusSkipped && skippedByWhen(h.s.plan, f, h.whenFalse)) {
			return false
		}
	}
	return true
}

// dryStatus records the status of every finished or skipped node of the
// walk for dryHandler.deployed, then passes the event on.
type dryStatus struct {
	next ui.Sink
	h    *dryHandler
}

func (d *dryStatus) Event(ev ui.Event) {
	if ev.Kind == ui.NodeFinished || ev.Kind == ui.NodeSkipped {
		d.h.mu.Lock()
		d.h.status[ev.Node] = ev.Status
		d.h.mu.Unlock()
	}
	d.next.Event(ev)
}

// wouldStop stops a gate's branch in a dry run; its text is the reason
// the output shows.
type wouldStop string

func (w wouldStop) Error() string { return string(w) }

// Is makes a wouldStop match exec.ErrStop.
func (w wouldStop) Is(target error) bool { return target == exec.ErrStop }
