package agree_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/internal/gittest"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/local"
	"github.com/zclconf/go-cty/cty"
)

// scenario is one config to run both ways. Trusted is committed on main;
// Head, when set, is committed on branch "feature" on top of it and the
// runs start there (a change whose rules differ from the trusted ref's).
// Files are rewritten by hostSteps before they are committed.
type scenario struct {
	name    string
	trusted map[string]string
	head    map[string]string
	vars    []dsl.VarArg
	env     map[string]string
	// unset names environment variables withInputs must leave unset (a
	// secret the run lacks).
	unset map[string]bool
	// until is the run's --until.
	until string
}

// keptStepAttrs are the step attributes hostSteps keeps: the ones that
// decide a node's fate without running anything in a container.
var keptStepAttrs = map[string]bool{"needs": true, "when": true, "retries": true, "timeout": true, "secrets": true}

// droppedStageBlocks need Docker or files a trivial step does not make.
var droppedStageBlocks = map[string]bool{"artifact": true, "image": true, "service": true}

// hostSteps rewrites a config so that a real run is fast and touches
// nothing outside the repository: every step runs `true` on the host
// (runner = "local") and keeps only needs, when, retries, timeout and
// secrets; package artifacts and images, services and notify blocks are
// dropped. Everything else (pipeline, variables, locals, secrets, groups,
// stages, environments, gates, requires, branches) is kept as written, so
// the dry run and the run see the same plan and the same commands.
func hostSteps(name string, src []byte) ([]byte, error) {
	f, diags := hclwrite.ParseConfig(src, name, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	body := f.Body()
	for _, b := range body.Blocks() {
		switch b.Type() {
		case "notify":
			body.RemoveBlock(b)
		case string(dsl.KindBuild), string(dsl.KindTest), string(dsl.KindPackage), string(dsl.KindEnvironment):
			// New blocks throughout: a one-line block cannot take more
			// attributes or blocks.
			body.RemoveBlock(b)
			stage := body.AppendNewBlock(b.Type(), b.Labels()).Body()
			copyAttrs(stage, b.Body(), func(name string) bool { return name != "container" })
			for _, inner := range b.Body().Blocks() {
				switch {
				case droppedStageBlocks[inner.Type()]:
				case inner.Type() == "step":
					st := stage.AppendNewBlock("step", inner.Labels()).Body()
					copyAttrs(st, inner.Body(), func(name string) bool { return keptStepAttrs[name] })
					st.SetAttributeValue("runner", cty.StringVal("local"))
					st.SetAttributeValue("run", cty.StringVal("true"))
				default:
					stage.AppendBlock(inner)
				}
			}
			if len(stage.Blocks()) == 0 { // a package of artifacts and images only
				st := stage.AppendNewBlock("step", []string{"package"}).Body()
				st.SetAttributeValue("runner", cty.StringVal("local"))
				st.SetAttributeValue("run", cty.StringVal("true"))
			}
		}
	}
	return f.Bytes(), nil
}

// copyAttrs copies the attributes of from that keep accepts into to, in
// name order, as written.
func copyAttrs(to, from *hclwrite.Body, keep func(string) bool) {
	attrs := from.Attributes()
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if keep(name) {
			to.SetAttributeRaw(name, attrs[name].Expr().BuildTokens(nil))
		}
	}
}

// fate is what happened to one node, in words that a dry run and a run
// must share: the status, and the reason except for a gate (a run waits
// "for approval", a dry run "would stop here") and where the reason names
// the first of several parallel nodes to stop or fail.
func fate(n *exec.NodeResult) string {
	if n == nil {
		return "(absent)"
	}
	switch {
	case n.Kind == string(plan.KindGate), n.Status == exec.StatusNotReached:
		// Which of two parallel gates stopped first, and so is named
		// in "not reached: GATE stopped", is a race in both walks.
		return n.Status
	case n.Status == exec.StatusSkipped && strings.HasPrefix(n.Reason, "skipped: ") && strings.HasSuffix(n.Reason, " failed"):
		return n.Status + ": an upstream node failed" // the same race
	}
	if n.Reason == "" {
		return n.Status
	}
	return n.Status + ": " + n.Reason
}

// outcome is the fate of every node and the exit code of one invocation.
type outcome struct {
	code  int
	err   string
	fates map[string]string
}

func codeOf(err error) int {
	if err == nil {
		return 0
	}
	var c interface{ Code() int }
	if errors.As(err, &c) {
		return c.Code()
	}
	return -1
}

func fates(res *exec.Result) map[string]string {
	out := map[string]string{}
	if res == nil {
		return out
	}
	for id, n := range res.Nodes {
		out[id] = fate(n)
	}
	return out
}

// check runs sc as a dry run and as a real run and fails t when any node's
// fate or the exit code differ. It returns the real run's outcome.
func check(t *testing.T, sc scenario) outcome {
	t.Helper()
	dir := gittest.Init(t)
	commitAll(t, dir, "trusted config", sc.trusted)
	if sc.head != nil {
		gittest.Git(t, dir, "checkout", "-q", "-b", "feature")
		commitAll(t, dir, "the change", sc.head)
	}
	sc = withInputs(t, dir, sc)
	getenv := func(k string) (string, bool) { v, ok := sc.env[k]; return v, ok }
	load := func() *loader.Result {
		res, diags := loader.Load(loader.Request{Dir: dir, Vars: sc.vars, Getenv: getenv})
		if diags.HasErrors() {
			t.Fatalf("loading %s: %s", sc.name, diags.Error())
		}
		return res
	}
	statePath := filepath.Join(t.TempDir(), "state.db")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	store, err := sqlite.Open(ctx, statePath, nil)
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	defer store.Close()
	eng := engine.New(engine.Options{
		Store:         store,
		Runners:       map[string]runners.Runner{"local": local.New(local.Options{}, nil)},
		DefaultRunner: "local",
		ArtifactDir:   filepath.Join(filepath.Dir(statePath), "artifacts"),
		Logger:        hclog.NewNullLogger(),
		PollInterval:  10 * time.Millisecond,
		Getenv:        getenv,
	})

	var dry, real outcome
	req := func() engine.RunRequest {
		return engine.RunRequest{Config: load(), Vars: sc.vars, Until: sc.until}
	}
	dres, derr := eng.DryRun(ctx, req())
	switch {
	case derr != nil:
		dry = outcome{code: codeOf(derr), err: derr.Error(), fates: map[string]string{}}
	default:
		dry = outcome{code: dres.Code(), fates: fates(dres.Exec)}
	}
	pres, perr := eng.Plan(req())
	rres, rerr := eng.Run(ctx, req())
	real = outcome{code: codeOf(rerr), fates: map[string]string{}}
	if rres != nil {
		real.fates = fates(rres.Exec)
	}
	if rerr != nil {
		real.err = rerr.Error()
	}

	t.Logf("%s: exit code %d (%d nodes walked)", sc.name, real.code, len(real.fates))
	notStarting := dres != nil && dres.NotStarting != nil
	switch {
	case len(real.fates) == 0 && notStarting:
		// Both say the run does not start; the dry run still walks to
		// show what it would do, the run walks nothing.
		dry.fates = map[string]string{}
	case len(real.fates) == 0 && derr != nil && dry.code == real.code:
		// Both refuse before walking (a selection the config cannot
		// satisfy, say); the codes are compared below.
	case len(real.fates) == 0:
		t.Errorf("%s: the run walked no node (exit code %d: %s); the harness must run every config", sc.name, real.code, real.err)
	case notStarting:
		t.Errorf("%s: the dry run says %v, but the run started", sc.name, dres.NotStarting)
	}
	var diffs []string
	if dry.code != real.code {
		diffs = append(diffs, fmt.Sprintf("exit code: dry run %d (%s), run %d (%s)", dry.code, dry.err, real.code, real.err))
	}
	ids := map[string]bool{}
	for id := range dry.fates {
		ids[id] = true
	}
	for id := range real.fates {
		ids[id] = true
	}
	var sorted []string
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	for _, id := range sorted {
		d, r := dry.fates[id], real.fates[id]
		if d == "" {
			d = "(absent)"
		}
		if r == "" {
			r = "(absent)"
		}
		if d != r {
			diffs = append(diffs, fmt.Sprintf("node %s: dry run %q, run %q", id, d, r))
		}
	}
	diffs = append(diffs, planDiffs(pres, perr, dres, rres, rerr)...)
	if len(diffs) > 0 {
		t.Errorf("%s: the dry run and the run disagree:\n  %s\nconfig:\n%s", sc.name, strings.Join(diffs, "\n  "), configText(sc))
	}
	return real
}

// planDiffs lists where Plan disagrees with the run: an error where the
// run has none (or the other way round), other warnings than the run's
// (the dry run's too), or an environment Plan says a run refuses that the
// run deployed. (A run may refuse more than Plan: requires counts an
// environment of the plan as deployed, which a skipped final step of it
// can make untrue.)
func planDiffs(pres *engine.PlanResult, perr error, dres *engine.DryRunResult, rres *engine.RunResult, rerr error) []string {
	if perr == nil && rres == nil && pres.NotStarting != nil && rerr != nil {
		return nil // both say the run does not start
	}
	if perr != nil || rres == nil {
		if (perr != nil) != (rres == nil) || codeOf(perr) != codeOf(rerr) {
			return []string{fmt.Sprintf("plan: error %v (code %d), run: error %v (code %d)", perr, codeOf(perr), rerr, codeOf(rerr))}
		}
		return nil
	}
	var out []string
	if pres.NotStarting != nil {
		out = append(out, fmt.Sprintf("plan says %v, but the run started", pres.NotStarting))
	}
	want := strings.Join(rres.Warnings, "\n")
	if got := strings.Join(pres.Warnings, "\n"); got != want {
		out = append(out, fmt.Sprintf("warnings: plan %q, run %q", got, want))
	}
	if dres != nil {
		if got := strings.Join(dres.Warnings, "\n"); got != want {
			out = append(out, fmt.Sprintf("warnings: dry run %q, run %q", got, want))
		}
	}
	for env, why := range pres.Refused {
		n := rres.Exec.Nodes["environment."+env]
		if n == nil {
			out = append(out, fmt.Sprintf("plan refuses environment %s (%s); the run has no such node", env, why))
			continue
		}
		switch n.Status {
		case exec.StatusFailed:
			if n.Reason != why {
				out = append(out, fmt.Sprintf("environment %s: plan refuses it with %q, the run with %q", env, why, n.Reason))
			}
		case exec.StatusSkipped, exec.StatusNotReached, exec.StatusCancelled:
		default:
			out = append(out, fmt.Sprintf("environment %s: plan refuses it (%s), the run's deploy node %s", env, why, n.Status))
		}
	}
	return out
}

// withInputs completes sc with what its config needs from outside: a
// value for every variable without a default ("x") and every secret's
// environment variable, so that neither run is refused for want of them.
func withInputs(t *testing.T, dir string, sc scenario) scenario {
	t.Helper()
	env := map[string]string{}
	for k, v := range sc.env {
		env[k] = v
	}
	res, _ := loader.Load(loader.Request{Dir: dir, Vars: sc.vars, Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if res == nil || res.Config == nil {
		return sc
	}
	vars := append([]dsl.VarArg(nil), sc.vars...)
	for name, v := range res.Config.Variables {
		if !v.HasDefault {
			vars = append(vars, dsl.VarArg{Name: name, Value: "x"})
		}
	}
	sort.Slice(vars, func(i, j int) bool { return vars[i].Name < vars[j].Name })
	for name, sec := range res.Config.Secrets {
		if _, ok := env[sec.Env]; !ok && sec.Env != "" && !sc.unset[sec.Env] {
			env[sec.Env] = "agree-secret-value-" + name
		}
	}
	sc.vars, sc.env = vars, env
	return sc
}

func configText(sc scenario) string {
	var b strings.Builder
	for _, side := range []struct {
		title string
		files map[string]string
	}{{"trusted (main)", sc.trusted}, {"head (branch feature)", sc.head}} {
		if side.files == nil {
			continue
		}
		fmt.Fprintf(&b, "--- %s ---\n", side.title)
		var names []string
		for n := range side.files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(&b, "# %s\n%s\n", n, side.files[n])
		}
	}
	return b.String()
}

// commitAll writes files into dir, rewriting HCL files with hostSteps,
// removes the *.hcl files that files does not name, and commits.
func commitAll(t *testing.T, dir, subject string, files map[string]string) {
	t.Helper()
	out := map[string]string{".gitignore": ".pipeline/\n"}
	for name, text := range files {
		if strings.HasSuffix(name, ".hcl") {
			b, err := hostSteps(name, []byte(text))
			if err != nil {
				t.Fatalf("rewriting %s: %v", name, err)
			}
			text = string(b)
		}
		out[name] = text
	}
	for _, old := range strings.Fields(gittest.Git(t, dir, "ls-files", "*.hcl")) {
		if _, ok := out[old]; !ok {
			gittest.Git(t, dir, "rm", "-q", old)
		}
	}
	gittest.Commit(t, dir, subject, out)
}
