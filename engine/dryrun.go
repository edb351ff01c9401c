package engine

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/dryrun"
)

// DryRunResult is the outcome of a dry run.
type DryRunResult struct {
	// Exec is the walk: steps succeed without running, a gate is stopped
	// and the nodes after it are not reached.
	Exec *exec.Result
	// Gates are the gates a real run would stop at for approval, in the
	// order the walk reached them (RunID is empty).
	Gates []GateWait
	// Warnings name the secrets whose environment variable is not set: a
	// real run would refuse the steps that list them.
	Warnings []string
}

// DryRun walks the plan of req.Config as a run would, evaluating when
// conditions, and reports through Options.Output what would run, without
// running anything, touching Docker or writing to the state store (the
// Engine may have a nil Store). The release and deployments pass as if
// recorded; a gate stops its branch, as a real run would, with "would stop
// here for approval" and its approvers as declared in req.Config, and the
// nodes after it are not reached. Values known only at run time are shown
// as their source text. Missing secrets are warnings, not errors.
func (e *Engine) DryRun(ctx context.Context, req RunRequest) (*DryRunResult, error) {
	res := req.Config
	if res == nil || res.Config == nil {
		return nil, invalid(fmt.Errorf("no config loaded"))
	}
	id := "dry-run"
	p, err := plan.New(res.Config, plan.Options{Only: req.Only, Skip: req.Skip, Until: req.Until, Scope: dsl.Scope{RunID: id},
		AllowPrivileged: e.opts.AllowPrivileged})
	if err != nil {
		return nil, planError(err, res)
	}
	dr := describeRunner{dryrun.New(true)}
	names := map[string]runners.Runner{"docker": dr, "local": dr}
	secrets := map[string]string{}
	var warnings []string
	for _, name := range sortedKeys(res.Config.Secrets) {
		// A secret that is set masks its real value in what the dry run
		// prints (a step may also read it with env()); one that is not
		// gets a stand-in so that its steps are still walked.
		secrets[name] = "dry-run-secret-" + name
		if env := res.Config.Secrets[name].Env; env != "" {
			v, ok := e.opts.Getenv(env)
			if !ok {
				warnings = append(warnings, fmt.Sprintf("secret %s: %s is not set in the environment of pipeline; a real run would refuse the steps that list it", name, env))
			} else if len(v) >= mask.MinSecretLen {
				secrets[name] = v
			}
		}
	}
	h := &dryHandler{}
	out, err := exec.Run(ctx, p, exec.Options{
		Parallelism: req.Parallelism, FailFast: req.FailFast, Runner: dr, Runners: names,
		Workspace: res.AbsDir, Secrets: secrets, Resolve: dryResolve, Handler: h,
		Output: e.opts.Output, Clock: e.opts.Clock, Logger: e.logger.Named("dry-run"),
	})
	if err != nil {
		return nil, failed(fmt.Errorf("dry run: %w", err))
	}
	return &DryRunResult{Exec: out, Gates: h.gates, Warnings: warnings}, nil
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
func dryResolve(n *plan.Node, _ map[string]map[string]string) (*runners.Step, error) {
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
// runner accept it without running anything.
type describeRunner struct{ inner *dryrun.Runner }

func (d describeRunner) Run(ctx context.Context, st *runners.Step, stdout, stderr io.Writer) (*runners.Result, error) {
	what := st.Script
	if what == "" {
		what = strings.Join(st.Command, " ")
	}
	where := "on the host"
	if st.Image != "" {
		where = "in " + st.Image
	}
	fmt.Fprintf(stdout, "would run %s: %s\n", where, what)
	return d.inner.Run(ctx, st, stdout, stderr)
}

// dryHandler lets release and deploy nodes pass in a dry run and stops
// at gates, remembering them.
type dryHandler struct {
	mu    sync.Mutex
	gates []GateWait
}

func (h *dryHandler) RunNode(_ context.Context, n *plan.Node) error {
	if n.Kind != plan.KindGate || n.Gate == nil {
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

// wouldStop stops a gate's branch in a dry run; its text is the reason
// the output shows.
type wouldStop string

func (w wouldStop) Error() string { return string(w) }

// Is makes a wouldStop match exec.ErrStop.
func (w wouldStop) Is(target error) bool { return target == exec.ErrStop }
