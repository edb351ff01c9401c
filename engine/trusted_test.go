package engine_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/trust"
)

// TestTrustedRulesFailClosed checks that a change whose protection rules
// cannot be checked against a trusted ref deploys nowhere: the trusted ref
// cannot be found, or the config there does not load or is another
// pipeline's. Build, test and package still run. Each case's change
// deletes prod's gate, which must never let it reach prod.
func TestTrustedRulesFailClosed(t *testing.T) {
	noGate := strings.Replace(stagedProd, `gate "go" { approvers = ["carol@example.com"] }`, "", 1)
	tests := []struct {
		name string
		// setup makes the repository's history after the trusted commit
		// of stagedProd on main, and returns the config directory.
		setup      func(r *repo) string
		trustedRef string
		wantReason string
	}{
		{"unknown trusted ref is no adoption path", func(r *repo) string {
			r.git("checkout", "-q", "-b", "feature")
			r.commit("alice@example.com", "drop the gate", map[string]string{"pipeline.hcl": noGate})
			return "."
		}, "no-such-ref", "at the trusted ref no-such-ref does not load"},
		{"no default branch and no origin/HEAD", func(r *repo) string {
			r.git("branch", "-m", "main", "trunk")
			r.git("checkout", "-q", "-b", "feature")
			r.commit("alice@example.com", "drop the gate", map[string]string{"pipeline.hcl": noGate})
			return "."
		}, "", "--trusted-ref REF"},
		{"detached HEAD without a default branch", func(r *repo) string {
			r.git("branch", "-m", "main", "trunk")
			r.git("checkout", "-q", "-b", "feature")
			r.commit("alice@example.com", "drop the gate", map[string]string{"pipeline.hcl": noGate})
			r.git("checkout", "-q", "--detach")
			return "."
		}, "", "--trusted-ref REF"},
		{"trusted config is another pipeline", func(r *repo) string {
			r.git("checkout", "-q", "-b", "feature")
			r.commit("alice@example.com", "rename and drop the gate", map[string]string{
				"pipeline.hcl": strings.Replace(noGate, `pipeline "svc"`, `pipeline "svc2"`, 1)})
			return "."
		}, "", "declares pipeline svc, not pipeline svc2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("alice@example.com", "trusted rules", map[string]string{"pipeline.hcl": stagedProd})
			dir := filepath.Join(r.dir, tt.setup(r))
			cfg, diags := loader.Load(loader.Request{Dir: dir})
			if diags.HasErrors() {
				t.Fatalf("loading %s: %s", dir, diags.Error())
			}
			f := newFixture(t, r)
			c := ctx(t)
			var warnings []string
			res, err := f.eng.Run(c, engine.RunRequest{Config: cfg, TrustedRef: tt.trustedRef,
				Started: func(i engine.RunInfo) { warnings = i.Warnings }})
			if !errors.Is(err, engine.ErrNoTrustedRules) || exitCode(err) != 1 {
				t.Fatalf("Run = %v (code %d); want ErrNoTrustedRules with code 1", err, exitCode(err))
			}
			if !strings.Contains(err.Error(), tt.wantReason) {
				t.Errorf("Run error = %q; want it to say %q", err, tt.wantReason)
			}
			if w := strings.Join(warnings, "\n"); !strings.Contains(w, "environments are refused") || !strings.Contains(w, tt.wantReason) {
				t.Errorf("warnings = %q; want one saying environments are refused because %q", warnings, tt.wantReason)
			}
			if res == nil || res.Release == nil {
				t.Errorf("Run result = %+v; want the release built and recorded (build and package still run)", res)
			}
			deps, err := f.store.ListDeployments(c, state.DeploymentFilter{})
			if err != nil || len(deps) != 0 {
				t.Errorf("deployments = %+v, %v; want none", deps, err)
			}
			// Resuming the failed run refuses the environments again.
			if _, err := f.eng.Resume(c, engine.ResumeRequest{RunID: res.Run.ID}); !errors.Is(err, engine.ErrNoTrustedRules) {
				t.Errorf("Resume = %v; want ErrNoTrustedRules", err)
			}
			if deps, _ := f.store.ListDeployments(c, state.DeploymentFilter{}); len(deps) != 0 {
				t.Errorf("deployments after resume = %+v; want none", deps)
			}
		})
	}
}

// TestFreshEnvironmentsNotDeployed checks the adoption path and a new
// environment on a branch: environments the trusted ref does not define
// are not deployed (their rules would come from the change), the run
// builds, packages and exits 0 and says why; asking for one by name
// (--only, --until, deploy ENV) is refused with code 2 before anything
// runs.
func TestFreshEnvironmentsNotDeployed(t *testing.T) {
	noGate := strings.Replace(stagedProd, `gate "go" { approvers = ["carol@example.com"] }`, "", 1)
	prod2 := noGate + `
environment "prod2" {
  step "rollout" { run = "echo prod2 ${release.version} >> deploy.log" }
}
`
	tests := []struct {
		name string
		// setup makes the history after main's first commit and returns
		// the config directory.
		setup     func(r *repo) string
		wantFresh []string
		wantWhy   string
	}{
		{"branch moves the config to another directory", func(r *repo) string {
			r.commit("alice@example.com", "trusted rules", map[string]string{"pipeline.hcl": stagedProd})
			r.git("checkout", "-q", "-b", "feature")
			r.git("rm", "-q", "pipeline.hcl")
			r.commit("alice@example.com", "move and drop the gate", map[string]string{"deploy/pipeline.hcl": noGate})
			return "deploy"
		}, []string{"staging", "prod"}, "directory deploy has no pipeline config there"},
		{"adoption: config only on the branch", func(r *repo) string {
			r.commit("alice@example.com", "code", map[string]string{"main.go": "package main\n"})
			r.git("checkout", "-q", "-b", "adopt-pipeline")
			r.commit("alice@example.com", "adopt pipeline", map[string]string{"pipeline.hcl": noGate})
			return "."
		}, []string{"staging", "prod"}, "the repository root has no pipeline config there"},
		{"branch adds an environment without a gate", func(r *repo) string {
			r.commit("alice@example.com", "trusted rules", map[string]string{"pipeline.hcl": stagedProd})
			r.git("checkout", "-q", "-b", "feature")
			r.commit("alice@example.com", "add prod2", map[string]string{"pipeline.hcl": prod2})
			return "."
		}, []string{"prod2"}, "the config there does not define it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, nil)
			dir := filepath.Join(r.dir, tt.setup(r))
			cfg, diags := loader.Load(loader.Request{Dir: dir})
			if diags.HasErrors() {
				t.Fatalf("loading %s: %s", dir, diags.Error())
			}
			f := newFixture(t, r)
			c := ctx(t)
			// Dry run and plan say the same, and plan nothing of them.
			dry, err := f.eng.DryRun(c, engine.RunRequest{Config: cfg})
			if err != nil || dry == nil {
				t.Fatalf("DryRun = %+v, %v", dry, err)
			}
			pl, err := f.eng.Plan(engine.RunRequest{Config: cfg})
			if err != nil {
				t.Fatalf("Plan = %v", err)
			}
			for _, env := range tt.wantFresh {
				for _, w := range [][]string{dry.Warnings, pl.Warnings} {
					if !strings.Contains(strings.Join(w, "\n"), "environment "+env+" is not on the trusted ref main yet") {
						t.Errorf("dry run or plan warnings = %q; want one saying environment %s is not on the trusted ref main yet", w, env)
					}
				}
				if pl.Plan.Node("environment."+env) != nil {
					t.Errorf("Plan has environment.%s; want it left out", env)
				}
			}
			var warnings []string
			res, err := f.eng.Run(c, engine.RunRequest{Config: cfg, Started: func(i engine.RunInfo) { warnings = i.Warnings }})
			if len(tt.wantFresh) == 1 {
				// The trusted environments keep their trusted gate.
				var we *engine.WaitingError
				if !errors.As(err, &we) || len(we.Gates) != 1 || we.Gates[0].Environment != "prod" {
					t.Fatalf("Run = %v (code %d); want it waiting at the trusted gate prod/go", err, exitCode(err))
				}
			} else if err != nil {
				t.Fatalf("Run = %v (code %d); want success (exit 0): nothing of the fresh environments runs", err, exitCode(err))
			}
			if res == nil || res.Release == nil {
				t.Errorf("Run result = %+v; want the release built and recorded", res)
			}
			w := strings.Join(warnings, "\n")
			for _, env := range tt.wantFresh {
				if !strings.Contains(w, "environment "+env+" is not on the trusted ref main yet") {
					t.Errorf("warnings = %q; want one saying environment %s is not on the trusted ref main yet", warnings, env)
				}
			}
			for _, want := range []string{tt.wantWhy, "--trusted-ref REF", "merge"} {
				if !strings.Contains(w, want) {
					t.Errorf("warnings = %q; want them to say %q", warnings, want)
				}
			}
			for _, env := range tt.wantFresh {
				deps, err := f.store.ListDeployments(c, state.DeploymentFilter{Environment: env})
				if err != nil || len(deps) != 0 {
					t.Errorf("deployments to %s = %+v, %v; want none", env, deps, err)
				}
				for _, n := range res.Exec.Nodes {
					if strings.HasPrefix(n.ID, "environment."+env) {
						t.Errorf("node %s (%s) is in the run; want nothing of environment %s planned", n.ID, n.Status, env)
					}
				}
			}
			// Asking for a fresh environment by name is refused before
			// anything runs.
			env := tt.wantFresh[len(tt.wantFresh)-1]
			asks := []engine.RunRequest{
				{Config: cfg, Only: []string{"environment." + env}},
				{Config: cfg, Only: []string{env}},
				{Config: cfg, Until: env},
			}
			if len(tt.wantFresh) > 1 { // no environment is on the trusted ref
				asks = append(asks, engine.RunRequest{Config: cfg, Only: []string{"environment"}})
			}
			for _, req := range asks {
				for mode, err := range map[string]error{
					"dry run": func() error { _, err := f.eng.DryRun(c, req); return err }(),
					"plan":    func() error { _, err := f.eng.Plan(req); return err }(),
				} {
					if !errors.Is(err, trust.ErrNotOnTrustedRef) || exitCode(err) != 2 {
						t.Errorf("%s(only %v, until %q) = %v (code %d); want ErrNotOnTrustedRef with code 2", mode, req.Only, req.Until, err, exitCode(err))
					}
				}
				before, _ := f.store.ListRuns(c, state.RunFilter{})
				_, err := f.eng.Run(c, req)
				if !errors.Is(err, trust.ErrNotOnTrustedRef) || exitCode(err) != 2 {
					t.Errorf("Run(only %v, until %q) = %v (code %d); want ErrNotOnTrustedRef with code 2", req.Only, req.Until, err, exitCode(err))
				} else if !strings.Contains(err.Error(), "environment "+env+" was asked for and is refused") {
					t.Errorf("Run(only %v, until %q) error = %q; want it to name environment %s", req.Only, req.Until, err, env)
				}
				if after, _ := f.store.ListRuns(c, state.RunFilter{}); len(after) != len(before) {
					t.Errorf("Run(only %v, until %q) recorded a run; want nothing recorded", req.Only, req.Until)
				}
			}
			if deps, _ := f.store.ListDeployments(c, state.DeploymentFilter{Environment: env}); len(deps) != 0 {
				t.Errorf("deployments to %s = %+v; want none", env, deps)
			}
			_, err = f.eng.Deploy(c, engine.DeployRequest{Config: cfg, Environment: env, Version: res.Release.Version})
			if !errors.Is(err, trust.ErrNotOnTrustedRef) || exitCode(err) != 2 {
				t.Errorf("Deploy(%s) = %v (code %d); want ErrNotOnTrustedRef with code 2", env, err, exitCode(err))
			}
		})
	}
}

// TestTrustedRulesDetachedCheckout checks the usual CI checkout: HEAD
// detached at the change, the default branch present. The trusted gate
// applies although the change deleted it.
func TestTrustedRulesDetachedCheckout(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "trusted rules", map[string]string{"pipeline.hcl": stagedProd})
	r.git("checkout", "-q", "-b", "feature")
	r.commit("alice@example.com", "drop the gate", map[string]string{
		"pipeline.hcl": strings.Replace(stagedProd, `gate "go" { approvers = ["carol@example.com"] }`, "", 1)})
	r.git("checkout", "-q", "--detach")
	f := newFixture(t, r)
	var info engine.RunInfo
	_, err := f.eng.Run(ctx(t), engine.RunRequest{Config: r.load(), Started: func(i engine.RunInfo) { info = i }})
	var we *engine.WaitingError
	if !errors.As(err, &we) || len(we.Gates) != 1 || we.Gates[0].Environment != "prod" || we.Gates[0].Gate != "go" {
		t.Fatalf("Run = %v; want it waiting at the trusted gate prod/go", err)
	}
	if info.TrustedRef != "main" {
		t.Errorf("trusted ref = %q; want main", info.TrustedRef)
	}
}

// varProd is stagedProd with prod's branches and approvers taken from
// variables whose defaults are the reviewed values.
var varProd = `
variable "prod_branches" {
  type    = list(string)
  default = ["main"]
}
variable "prod_approvers" {
  type    = list(string)
  default = ["carol@example.com"]
}
` + stagedProdVarRules

var stagedProdVarRules = strings.NewReplacer(
	`requires = [environment.staging]`, "requires = [environment.staging]\n  branches = var.prod_branches",
	`approvers = ["carol@example.com"]`, `approvers = var.prod_approvers`,
).Replace(stagedProd)

// TestTrustedRulesIgnoreRunVariables checks that the run's variables
// (-var, -var-file, PIPELINE_VAR_*) do not change the trusted rules: they
// are evaluated with the trusted config's own defaults. On a branch,
// widening prod's branches and making the author its approver must not
// let the branch reach prod, and on main the author still cannot approve.
func TestTrustedRulesIgnoreRunVariables(t *testing.T) {
	tests := []struct {
		name string
		// vars returns the run's variable options and environment.
		vars func(r *repo) ([]dsl.VarArg, map[string]string)
	}{
		{"-var", func(*repo) ([]dsl.VarArg, map[string]string) {
			return []dsl.VarArg{{Name: "prod_branches", Value: `["*"]`}, {Name: "prod_approvers", Value: `["alice@example.com"]`}}, nil
		}},
		{"PIPELINE_VAR_", func(*repo) ([]dsl.VarArg, map[string]string) {
			return nil, map[string]string{"PIPELINE_VAR_prod_branches": `["*"]`, "PIPELINE_VAR_prod_approvers": `["alice@example.com"]`}
		}},
		{"-var-file committed on the branch", func(r *repo) ([]dsl.VarArg, map[string]string) {
			r.commit("alice@example.com", "add a var file", map[string]string{
				"prod.vars.hcl": "prod_branches = [\"*\"]\nprod_approvers = [\"alice@example.com\"]\n"})
			return []dsl.VarArg{{File: filepath.Join(r.dir, "prod.vars.hcl")}}, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("carol@example.com", "trusted rules", map[string]string{"pipeline.hcl": varProd})
			r.git("checkout", "-q", "-b", "feature")
			r.commit("alice@example.com", "a change", map[string]string{"README": "change\n"})
			vars, env := tt.vars(r)
			f := newFixture(t, r)
			for k, v := range env {
				f.env[k] = v
				t.Setenv(k, v) // the loader may also read the process environment
			}
			c := ctx(t)
			cfg, diags := loader.Load(loader.Request{Dir: r.dir, Vars: vars, Getenv: func(k string) (string, bool) {
				v, ok := env[k]
				return v, ok
			}})
			if diags.HasErrors() {
				t.Fatalf("loading the change: %s", diags.Error())
			}
			_, err := f.eng.Run(c, engine.RunRequest{Config: cfg, Vars: vars})
			if !errors.Is(err, rules.ErrBranchNotAllowed) {
				t.Fatalf("Run on feature = %v; want prod refused with ErrBranchNotAllowed (trusted branches = [\"main\"])", err)
			}
			if deps, _ := f.store.ListDeployments(c, state.DeploymentFilter{Environment: "prod"}); len(deps) != 0 {
				t.Errorf("prod deployments = %+v; want none", deps)
			}

			// On main the branch rule passes; the trusted approvers are
			// carol only, whatever the run's variables say. A new store:
			// the version would repeat the branch's.
			r.git("checkout", "-q", "main")
			r.commit("alice@example.com", "a change on main", map[string]string{"README": "main change\n",
				"prod.vars.hcl": "prod_branches = [\"*\"]\nprod_approvers = [\"alice@example.com\"]\n"})
			f = newFixture(t, r)
			for k, v := range env {
				f.env[k] = v
			}
			cfg, diags = loader.Load(loader.Request{Dir: r.dir, Vars: vars, Getenv: func(k string) (string, bool) {
				v, ok := env[k]
				return v, ok
			}})
			if diags.HasErrors() {
				t.Fatalf("loading main: %s", diags.Error())
			}
			res, err := f.eng.Run(c, engine.RunRequest{Config: cfg, Vars: vars})
			if exitCode(err) != 3 {
				t.Fatalf("Run on main = %v (code %d); want it waiting at prod's gate (3)", err, exitCode(err))
			}
			_, err = f.eng.Approve(c, engine.Decision{RunID: res.Run.ID, Gate: "go", By: "alice@example.com"})
			if !errors.Is(err, rules.ErrNotApprover) {
				t.Errorf("Approve by alice = %v; want ErrNotApprover (trusted approvers = [carol])", err)
			}
		})
	}
}

// TestTrustedRulesRequiredVariable checks that protection rules that
// depend on a variable without a default refuse the environments, naming
// the variable, while a variable without a default that only steps use
// does not.
func TestTrustedRulesRequiredVariable(t *testing.T) {
	const greeting = `
variable "greeting" { type = string }
`
	tests := []struct {
		name       string
		config     string
		vars       []dsl.VarArg
		wantRefuse string // empty: the run reaches prod's gate
	}{
		{"approvers from a required variable", `
variable "prod_approvers" { type = list(string) }
variable "prod_branches" {
  type    = list(string)
  default = ["main"]
}
` + stagedProdVarRules, []dsl.VarArg{{Name: "prod_approvers", Value: `["alice@example.com"]`}}, "var.prod_approvers"},
		{"branches through a local", `
variable "prod_approvers" {
  type    = list(string)
  default = ["carol@example.com"]
}
variable "wide" { type = list(string) }
locals { prod_branches = var.wide }
` + strings.Replace(stagedProdVarRules, "var.prod_branches", "local.prod_branches", 1),
			[]dsl.VarArg{{Name: "wide", Value: `["*"]`}}, "var.wide"},
		{"required variable used by a step only", greeting + strings.Replace(stagedProd, `echo ok > dist/app`, `echo ${var.greeting} > dist/app`, 1),
			[]dsl.VarArg{{Name: "greeting", Value: "hi"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, nil)
			r.commit("carol@example.com", "trusted rules", map[string]string{"pipeline.hcl": tt.config})
			f := newFixture(t, r)
			c := ctx(t)
			cfg, diags := loader.Load(loader.Request{Dir: r.dir, Vars: tt.vars})
			if diags.HasErrors() {
				t.Fatalf("loading: %s", diags.Error())
			}
			var warnings []string
			_, err := f.eng.Run(c, engine.RunRequest{Config: cfg, Vars: tt.vars, Started: func(i engine.RunInfo) { warnings = i.Warnings }})
			if tt.wantRefuse == "" {
				if exitCode(err) != 3 {
					t.Fatalf("Run = %v (code %d); want it waiting at prod's gate (3)", err, exitCode(err))
				}
				return
			}
			if !errors.Is(err, engine.ErrNoTrustedRules) {
				t.Fatalf("Run = %v; want ErrNoTrustedRules", err)
			}
			for _, want := range []string{tt.wantRefuse, "must not depend on run-time variables"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Run error = %q; want it to say %q", err, want)
				}
			}
			if w := strings.Join(warnings, "\n"); !strings.Contains(w, tt.wantRefuse) {
				t.Errorf("warnings = %q; want one naming %s", warnings, tt.wantRefuse)
			}
			if deps, _ := f.store.ListDeployments(c, state.DeploymentFilter{}); len(deps) != 0 {
				t.Errorf("deployments = %+v; want none", deps)
			}
		})
	}
}
