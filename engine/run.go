package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/rules"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// RunRequest says what to run. Config is the loaded config of the change
// (working tree or --ref); the CLI loads it so that it can render
// diagnostics.
type RunRequest struct {
	Config      *loader.Result
	Vars        []dsl.VarArg
	Only, Skip  []string
	Until       string
	Parallelism int
	FailFast    bool
	// Runner overrides Options.DefaultRunner for this run.
	Runner string
	// Wait makes a run that reaches a gate wait for the decision instead
	// of stopping with a *WaitingError.
	Wait bool
	// WaitLock is how long to wait for a locked environment; 0 fails at once.
	WaitLock time.Duration
	// TrustedRef is the ref protection rules are read from; "" means the
	// repository's default branch.
	TrustedRef string
	// Started, when set, is called once the run is recorded and before any
	// step runs, so the CLI can print the run id first.
	Started func(RunInfo)
	// AllowDirty lets a run from a working tree with modified tracked
	// files create a release and deploy: its version gets a "-dirty"
	// suffix and it records no branch, so environments with branches
	// rules refuse it. Without it such a run builds and tests, but its
	// release node and environments fail with ErrDirtyTree.
	AllowDirty bool
	// NoCache runs every step, even those a recorded result could stand
	// in for (see engine/cache); their successes are still recorded.
	NoCache bool
}

// RunInfo describes a run that is about to execute.
type RunInfo struct {
	Run *state.Run
	// TrustedRef is the ref the protection rules came from ("" when the
	// working tree's config is the trusted one).
	TrustedRef string
	// Warnings lists the differences between the change's rules and the
	// trusted ones, and other things the user should know.
	Warnings []string
	// Notes explain what the run deliberately does differently, such as a
	// rollback skipping the environment's gates; they are not warnings.
	Notes []string
}

// RunResult is the outcome of Run, Resume, Deploy and Rollback.
type RunResult struct {
	Run         *state.Run
	Exec        *exec.Result
	Release     *state.Release
	Deployments []*state.Deployment
	Waiting     []GateWait
	Warnings    []string
}

// recorded is what a run stores in state.Run.Options so that resume and
// approve need nothing but the run id.
type recorded struct {
	Dir         string                `json:"dir"`
	Ref         string                `json:"ref,omitempty"` // config ref ("" working tree)
	Vars        []dsl.VarArg          `json:"vars,omitempty"`
	Only        []string              `json:"only,omitempty"`
	Skip        []string              `json:"skip,omitempty"`
	Until       string                `json:"until,omitempty"`
	Parallelism int                   `json:"parallelism,omitempty"`
	FailFast    bool                  `json:"fail_fast,omitempty"`
	Runner      string                `json:"runner,omitempty"`
	TrustedRef  string                `json:"trusted_ref,omitempty"`
	Version     string                `json:"version"`
	Environment string                `json:"environment,omitempty"` // deploy and rollback runs
	Kind        string                `json:"kind,omitempty"`
	Gates       map[string]rules.Gate `json:"gates,omitempty"` // keyed "ENV/GATE" (older runs: by gate name)
	Groups      map[string][]string   `json:"groups,omitempty"`
	// Signers holds the allowed_signers text of each approver group that
	// has one, from the trusted config (the working tree's outside git).
	Signers map[string]string `json:"signers,omitempty"`
	// Dirty records a run started from a working tree with modified
	// tracked files with --allow-dirty (its version ends in "-dirty").
	Dirty bool `json:"dirty,omitempty"`
	// Withheld names the variables set with -var whose value is not
	// stored: declared sensitive, or holding a secret's value. Resume
	// asks for them again (see resumeVars).
	Withheld []string `json:"withheld,omitempty"`
	// GitBranch is the git.branch the run's config saw when it started;
	// resume loads the config at the run's commit (which names no branch)
	// with it, so that its when conditions evaluate as they did.
	GitBranch string `json:"git_branch,omitempty"`
	// BranchUnproven says why the run records no branch although a CI
	// variable named one (dsl.GitInfo.BranchUnproven), so that a resumed
	// run's branches rules say it again.
	BranchUnproven string `json:"branch_unproven,omitempty"`
	// NoCache records --no-cache, so that a resume runs every step too.
	NoCache bool `json:"no_cache,omitempty"`
}

// Run plans and executes the pipeline of req.Config and records it. It
// returns the result and an error with Code(): a *WaitingError (3) when
// the run stopped at a gate, an *Error with code 1 when a step or a
// deployment failed, code 2 for an invalid selection.
func (e *Engine) Run(ctx context.Context, req RunRequest) (*RunResult, error) {
	if req.Config == nil || req.Config.Config == nil {
		return nil, invalid(errors.New("no config loaded"))
	}
	s, warnings, err := e.begin(req, e.opts.NewID())
	if err != nil {
		return nil, err
	}
	if s.dirty == nil {
		if err := s.checkVersionFree(ctx); err != nil {
			return nil, err
		}
	}
	s.wait, s.waitLock = req.Wait, req.WaitLock
	if err := s.record(ctx); err != nil {
		return nil, err
	}
	if req.Started != nil {
		req.Started(RunInfo{Run: s.run, TrustedRef: s.rec.TrustedRef, Warnings: warnings})
	}
	s.notify(ctx, "run_started", "", "")
	return s.execute(ctx, nil, warnings)
}

// begin prepares run id of req without recording or running anything:
// the trusted rules applied (applyTrusted), the version, the plan, the
// refusal of a working tree with modified tracked files, and the run
// record to be. Run, DryRun and Plan all start here, and their deploy
// nodes pass the same admit, so that the three apply the same rules and
// say the same warnings.
func (e *Engine) begin(req RunRequest, id string) (*session, []string, error) {
	if req.Config == nil || req.Config.Config == nil {
		return nil, nil, invalid(errors.New("no config loaded"))
	}
	rec := recorded{Dir: req.Config.AbsDir, Ref: req.Config.Config.Source.Ref, Vars: req.Vars, Only: req.Only,
		Skip: req.Skip, Until: req.Until, Parallelism: req.Parallelism, FailFast: req.FailFast,
		Runner: req.Runner, TrustedRef: req.TrustedRef, GitBranch: req.Config.Config.Git.Branch, NoCache: req.NoCache}
	dirty, err := treeDirty(req.Config)
	if err != nil {
		return nil, nil, err
	}
	rec.Dirty = dirty && req.AllowDirty
	s, warnings, err := e.prepare(req.Config, id, &rec)
	if err != nil {
		return nil, nil, err
	}
	if dirty && !req.AllowDirty {
		versioned := "with a -dirty version"
		if rec.Version != "" {
			versioned = "versioned " + rec.Version + "-dirty"
		}
		s.dirty = fmt.Errorf("%w in %s (see `git status`): a release must be built from a commit; this run builds and tests, "+
			"but creates no release and deploys to no environment; commit the changes and run again, "+
			"or pass --allow-dirty for a release %s that records no branch", ErrDirtyTree, req.Config.RepoRoot, versioned)
		warnings = append(warnings, "no release and no deployment in this run: "+s.dirty.Error())
	}
	s.deployKind = state.DeployKindRun
	cfg := req.Config.Config
	branch := cfg.Git.ProvenBranch() // a CI variable's claim counts only when proven
	if rec.Dirty {
		branch = "" // the tree is no commit of the branch: branches rules must refuse it
	}
	if w := s.unprovenBranch(cfg.Git); w != "" {
		warnings = append(warnings, w)
	}
	s.run = &state.Run{ID: id, Pipeline: cfg.Pipeline.Name, Component: req.Config.Component,
		Commit: cfg.Git.SHA, Branch: branch, Author: cfg.Git.Author, ConfigDigest: cfg.Source.Digest,
		Kind: "run", Status: state.StatusRunning, Host: e.opts.Host, PID: e.opts.PID, StartedAt: e.now()}
	return s, warnings, nil
}

// prepare loads the trusted rules, applies them to the config, computes
// the version and plans. rec is completed in place. An empty runID (Plan)
// computes no version and leaves run.* and release.* unknown.
func (e *Engine) prepare(res *loader.Result, runID string, rec *recorded) (*session, []string, error) {
	cfg := res.Config
	s := &session{e: e, res: res, cfg: cfg, rec: rec, deps: map[string]*state.Deployment{}, locks: map[string]*heldLock{},
		branchWhy: rec.BranchUnproven}
	e.learnSecrets(cfg)
	warnings, err := s.applyTrusted()
	if err != nil {
		return nil, nil, err
	}
	if s.tr != nil {
		e.learnSecrets(s.tr.Config) // secrets declared only at the trusted ref
	}
	if rec.Environment != "" {
		s.cfg = environmentOnly(s.cfg, rec.Environment, rec.Kind == "rollback")
	}
	// Secrets are checked on what will run: a deploy or rollback runs one
	// environment's steps of its release's config.
	if err := s.checkSecrets(); err != nil {
		return nil, nil, err
	}
	fresh, err := s.leaveOutFresh()
	if err != nil {
		return nil, nil, err
	}
	warnings = append(warnings, fresh...)
	cfg = s.cfg
	if runID != "" { // Plan (no run): run.* and release.* stay unknown
		if rec.Version == "" {
			if rec.Version, err = e.version(res, runID); err != nil {
				return nil, nil, err
			}
			if rec.Dirty {
				rec.Version += "-dirty"
			}
		}
		s.scope = dsl.Scope{RunID: runID, Release: &dsl.ReleaseValues{Version: rec.Version}}
	}
	p, err := plan.New(cfg, plan.Options{Only: rec.Only, Skip: s.skipSelection(), Until: rec.Until, Scope: s.scope,
		AllowPrivileged: e.opts.AllowPrivileged})
	if err != nil {
		return nil, nil, planError(err, res)
	}
	s.plan = p
	rec.Gates = map[string]rules.Gate{}
	for _, n := range p.Nodes {
		if n.Kind == plan.KindGate {
			rec.Gates[gateKey(n.Gate.Environment, n.Gate.Name)] = rules.Gate{Environment: n.Gate.Environment, Name: n.Gate.Name,
				Approvers: n.Gate.Approvers, PreventSelfApproval: n.Gate.PreventSelfApproval, Signed: n.Gate.Signed}
		}
	}
	return s, warnings, nil
}

func planError(err error, res *loader.Result) error {
	var diags hcl.Diagnostics
	if errors.As(err, &diags) {
		return &ConfigError{Diags: diags, Files: res.Parser.Files()}
	}
	var pe *plan.PrivilegeError
	if errors.As(err, &pe) {
		return invalid(err)
	}
	return invalid(fmt.Errorf("planning: %w", err))
}

// version returns the release version: pipeline.version when set, else
// `git describe`, else "0.0.0-RUNID" outside git.
func (e *Engine) version(res *loader.Result, runID string) (string, error) {
	cfg := res.Config
	if cfg.Pipeline.Version != nil {
		t, diags := cfg.EvalText(cfg.Pipeline.Version, dsl.Scope{RunID: runID})
		if diags.HasErrors() {
			return "", &ConfigError{Diags: diags, Files: res.Parser.Files()}
		}
		if !t.Known || t.Value == "" {
			return "", invalid(fmt.Errorf("pipeline.version %q is not known before the run; use git.* and var.* values only", t.Source))
		}
		return t.Value, nil
	}
	if res.RepoRoot != "" && cfg.Git.SHA != "" {
		v, err := gitsrc.Describe(res.RepoRoot, cfg.Git.SHA)
		if err != nil {
			return "", failed(fmt.Errorf("computing the version with git describe: %w", err))
		}
		return v, nil
	}
	return "0.0.0-" + runID, nil
}

// record stores the new run with its plan (in its versioned stored form,
// plan.Stored) and options. The plan is masked like the logs: a value read
// with env() that is also a declared secret's is stored as
// mask.Replacement.
func (s *session) record(ctx context.Context) error {
	var err error
	if s.run.Plan, err = s.plan.Encode(); err != nil {
		return failed(fmt.Errorf("encoding the plan: %w", err))
	}
	s.run.Plan = []byte(mask.ForConfig(s.e.opts.Getenv, s.res.Config).String(string(s.run.Plan)))
	stored := *s.rec
	stored.Vars, stored.Withheld = s.storableVars(s.rec.Vars)
	if s.run.Options, err = json.Marshal(&stored); err != nil {
		return failed(fmt.Errorf("encoding the run options: %w", err))
	}
	if err := s.e.store.CreateRun(ctx, s.run); err != nil {
		return failed(fmt.Errorf("recording run %s: %w", s.run.ID, err))
	}
	return nil
}

// storableVars splits the -var options of a run into those stored with
// it and the names of those withheld: a value of a variable declared
// sensitive, or one the store's masker would change (it holds a secret's
// value), is never stored. -var-file options are stored as their path.
func (s *session) storableVars(vars []dsl.VarArg) (stored []dsl.VarArg, withheld []string) {
	m := s.e.masks.Masker()
	for _, a := range vars {
		v := s.cfg.Variables[a.Name]
		if a.File == "" && ((v != nil && v.Sensitive) || m.String(a.Value) != a.Value) {
			if !slices.Contains(withheld, a.Name) {
				withheld = append(withheld, a.Name)
			}
			continue
		}
		stored = append(stored, a)
	}
	return stored, withheld
}

// checkVersionFree fails early when the plan creates a release whose
// version already exists.
func (s *session) checkVersionFree(ctx context.Context) error {
	if s.plan.Node(plan.ReleaseID) == nil {
		return nil
	}
	r, err := s.e.store.ReleaseByVersion(ctx, s.cfg.Pipeline.Name, s.rec.Version)
	if errors.Is(err, state.ErrNotFound) {
		return nil
	}
	if err != nil {
		return failed(fmt.Errorf("reading releases: %w", err))
	}
	return failed(releaseExists(r, s.cfg.Git.SHA))
}

// releaseExists explains that release r already has the version a run
// for commit wants. When r was built from commit, the fix is to promote
// it; when from another commit (another branch with the same commit
// count, say), the version is not unique per commit and the config must
// make it so.
func releaseExists(r *state.Release, commit string) error {
	from := fmt.Sprintf("commit %.12s", r.Commit)
	if r.Branch != "" {
		from += " on branch " + r.Branch
	}
	if r.Commit == commit {
		return fmt.Errorf("%w: release %s %s was already created by run %s from this commit (%s); releases are immutable: "+
			"promote the existing release with `pipeline deploy ENV --release %s`, or change pipeline.version",
			ErrReleaseExists, r.Pipeline, r.Version, r.RunID, from, r.Version)
	}
	return fmt.Errorf("%w: release %s %s was already created by run %s from %s, not from this commit (%.12s); "+
		"pipeline.version must be unique per commit: include ${git.short_sha} in it, or the branch for branches other than main "+
		"(for example version = \"1.0.${git.commit_count}-${git.short_sha}\")",
		ErrReleaseExists, r.Pipeline, r.Version, r.RunID, from, commit)
}

// treeDirty reports whether res was loaded in a git work tree with
// modified tracked files (untracked files do not count); outside git it is
// false.
func treeDirty(res *loader.Result) (bool, error) {
	if res.RepoRoot == "" {
		return false, nil
	}
	dirty, err := gitsrc.Dirty(res.RepoRoot)
	if err != nil {
		return false, failed(err)
	}
	return dirty, nil
}
