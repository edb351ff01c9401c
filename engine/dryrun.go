package engine

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/dryrun"
)

// DryRun walks the plan of req.Config as a run would, evaluating when
// conditions, and reports through Options.Output what would run, without
// running anything, touching Docker or writing to the state store (the
// Engine may have a nil Store). Gates, the release and deployments pass
// as if approved and recorded. Values known only at run time are shown as
// their source text.
func (e *Engine) DryRun(ctx context.Context, req RunRequest) (*exec.Result, error) {
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
	for name := range res.Config.Secrets {
		secrets[name] = "dry-run-secret-" + name
	}
	out, err := exec.Run(ctx, p, exec.Options{
		Parallelism: req.Parallelism, FailFast: req.FailFast, Runner: dr, Runners: names,
		Workspace: res.AbsDir, Secrets: secrets, Resolve: dryResolve, Handler: passHandler{},
		Output: e.opts.Output, Clock: e.opts.Clock, Logger: e.logger.Named("dry-run"),
	})
	if err != nil {
		return out, failed(fmt.Errorf("dry run: %w", err))
	}
	return out, nil
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

// passHandler lets gate, release and deploy nodes pass in a dry run.
type passHandler struct{}

func (passHandler) RunNode(context.Context, *plan.Node) error { return nil }
