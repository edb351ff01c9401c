package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// ResumeRequest names a run to continue.
type ResumeRequest struct {
	RunID    string
	Wait     bool
	WaitLock time.Duration
	Started  func(RunInfo)
	// Vars gives again the values of the variables the run did not store
	// (declared sensitive, or holding a secret's value); only those may
	// be given, with -var NAME=VALUE.
	Vars []dsl.VarArg
}

// Resume continues a run that waits at a gate, crashed (its process is
// gone) or failed. It reloads the config at the run's recorded commit (the
// working tree outside git), re-plans with the run's recorded options and
// executes it without re-running any node that succeeded. Steps run in
// the working tree, so a run (kind "run") in a git repository resumes only
// from a checkout of its recorded commit with no modified tracked files;
// otherwise it is refused with ErrNotResumable (code 2) and ErrWrongCommit
// or ErrDirtyTree. A run that
// succeeded, was rejected, expired or was cancelled (its gates are closed;
// also ErrRunCancelled), or still runs in a live process is refused with
// ErrNotResumable (code 2); so is a run with a gate past its timeout (also
// ErrGateExpired), whose expiry is then recorded and audited once.
func (e *Engine) Resume(ctx context.Context, req ResumeRequest) (*RunResult, error) {
	run, err := e.getRun(ctx, req.RunID)
	if err != nil {
		return nil, err
	}
	rec, err := decodeRecorded(run)
	if err != nil {
		return nil, failed(err)
	}
	if err := e.resumable(ctx, run, rec); err != nil {
		return nil, err
	}
	if err := e.resumeVars(run, rec, req.Vars); err != nil {
		return nil, err
	}
	branch := rec.GitBranch
	if branch == "" {
		branch = run.Branch // runs recorded before git_branch was
	}
	res, err := e.load(rec.Dir, run.Commit, branch, rec)
	if err != nil {
		return nil, err
	}
	if err := checkCheckout(res, run); err != nil {
		return nil, err
	}
	s, warnings, err := e.prepare(res, run.ID, rec)
	if err != nil {
		return nil, err
	}
	if err := s.samePlan(run); err != nil {
		return nil, err
	}
	s.run, s.wait, s.waitLock = run, req.Wait, req.WaitLock
	s.deployKind = deployKindOf(run.Kind)
	if run.ReleaseID != "" {
		rel, err := e.store.GetRelease(ctx, run.ReleaseID)
		if err != nil {
			return nil, failed(fmt.Errorf("reading the release of run %s: %w", run.ID, err))
		}
		s.setRelease(rel)
	}
	nodes, err := e.store.Nodes(ctx, run.ID)
	if err != nil {
		return nil, failed(fmt.Errorf("reading the nodes of run %s: %w", run.ID, err))
	}
	done := map[string]bool{}
	for _, n := range nodes {
		if n.Status == state.StatusSucceeded && s.plan.Node(n.NodeID) != nil {
			done[n.NodeID] = true
		}
	}
	s.redoRefusedDeploys(done)
	if err := s.reopenDeployments(ctx, done); err != nil {
		return nil, failed(fmt.Errorf("reading the deployments of run %s: %w", run.ID, err))
	}
	run.Status, run.Reason, run.Host, run.PID = state.StatusRunning, "", e.opts.Host, e.opts.PID
	run.FinishedAt = time.Time{}
	if err := e.store.UpdateRun(ctx, run); err != nil {
		return nil, failed(fmt.Errorf("taking over run %s: %w", run.ID, err))
	}
	if req.Started != nil {
		req.Started(RunInfo{Run: run, TrustedRef: rec.TrustedRef, Warnings: warnings})
	}
	return s.execute(ctx, done, warnings)
}

// resumeVars adds to rec the values of its withheld variables given in
// vars. A withheld variable must be given again, with -var or with its
// PIPELINE_VAR_ environment variable (which the loader reads); vars may
// set nothing else, since every other value comes from the run's record.
func (e *Engine) resumeVars(run *state.Run, rec *recorded, vars []dsl.VarArg) error {
	for _, a := range vars {
		if a.File != "" {
			return invalid(fmt.Errorf("%w: resume takes no -var-file (%s): run %s keeps its own variables; give the values it did not store with -var NAME=VALUE",
				ErrNotResumable, a.File, run.ID))
		}
		if !slices.Contains(rec.Withheld, a.Name) {
			why := "it stored every -var value it was given"
			if len(rec.Withheld) > 0 {
				why = "-var is only for the values it did not store: " + strings.Join(rec.Withheld, ", ")
			}
			return invalid(fmt.Errorf("%w: -var %s: run %s resumes with the variables it was started with (%s); "+
				"start a new run to change a variable", ErrNotResumable, a.Name, run.ID, why))
		}
		rec.Vars = append(rec.Vars, a)
	}
	var missing []string
	for _, name := range rec.Withheld {
		given := slices.ContainsFunc(vars, func(a dsl.VarArg) bool { return a.Name == name })
		if _, inEnv := e.opts.Getenv(dsl.EnvVarPrefix + name); !given && !inEnv {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var flags, envs []string
	for _, n := range missing {
		flags = append(flags, "-var "+n+"=VALUE")
		envs = append(envs, dsl.EnvVarPrefix+n)
	}
	return invalid(fmt.Errorf("%w: run %s was started with -var %s, whose value is sensitive and was not stored; "+
		"give it again: `pipeline resume %s %s` (or set %s)",
		ErrNotResumable, run.ID, strings.Join(missing, ", -var "), run.ID, strings.Join(flags, " "), strings.Join(envs, ", ")))
}

// samePlan reads the plan run recorded (plan.Decode) and refuses to
// resume when it cannot be read (an older or newer schema) or when the
// steps planned again now differ from it: a when condition evaluates
// differently (env() reads another environment, say), or steps appeared
// or disappeared (see plan.Stored.StepChanges). Resume does what the run planned, or
// nothing. Gates and promotion rules are not compared: they are read again
// from the trusted ref on purpose.
func (s *session) samePlan(run *state.Run) error {
	stored, err := plan.Decode(run.Plan)
	if err != nil {
		return invalid(fmt.Errorf("%w: run %s: %w; start a new run", ErrNotResumable, run.ID, err))
	}
	m := mask.ForConfig(s.e.opts.Getenv, s.res.Config)
	if changes := stored.StepChanges(s.plan, m.String); len(changes) > 0 {
		return invalid(fmt.Errorf("%w: run %s planned its steps differently when it started than they plan now (%s); "+
			"resume runs what the run planned, so the environment (env() values, %s* variables) must be the same as when it started; "+
			"restore it, or start a new run", ErrNotResumable, run.ID, strings.Join(changes, "; "), dsl.EnvVarPrefix))
	}
	return nil
}

// resumable refuses runs that cannot be resumed: finished, cancelled,
// still running in a live process, or with a gate past its timeout.
func (e *Engine) resumable(ctx context.Context, run *state.Run, rec *recorded) error {
	switch run.Status {
	case state.StatusCancelled:
		return cancelledRefusal(run, rec, ErrNotResumable)
	case state.StatusSucceeded:
		return invalid(fmt.Errorf("%w: run %s already succeeded; nothing to resume", ErrNotResumable, run.ID))
	case state.StatusRunning:
		if run.PID != 0 && !e.holderGone(&state.Lock{Host: run.Host, PID: run.PID}) {
			return invalid(fmt.Errorf("%w: run %s is still running in process %d on %s", ErrNotResumable, run.ID, run.PID, run.Host))
		}
	}
	switch run.Status {
	case state.StatusWaiting, state.StatusFailed, state.StatusRunning, state.StatusExpired:
		if err := e.refuseExpired(ctx, run, rec); err != nil {
			return err
		}
		if run.Status != state.StatusExpired {
			return nil
		}
	}
	why := ""
	if run.Reason != "" {
		why = " (" + run.Reason + ")"
	}
	return invalid(fmt.Errorf("%w: run %s is %s%s; start a new run instead", ErrNotResumable, run.ID, run.Status, why))
}

// checkCheckout refuses to resume a run that builds (kind "run", or an
// older run without a kind) from a git work tree whose HEAD is not the
// run's recorded commit or that has modified tracked files: its steps
// would build something else than the commit its release records.
func checkCheckout(res *loader.Result, run *state.Run) error {
	if res.RepoRoot == "" || run.Commit == "" || (run.Kind != "run" && run.Kind != "") {
		return nil
	}
	fix := fmt.Sprintf("check out %s and a clean tree to resume run %s (`git checkout %s`, then commit or stash your changes)",
		run.Commit, run.ID, run.Commit)
	head, err := gitsrc.Info(res.RepoRoot, "HEAD")
	if err != nil {
		return failed(fmt.Errorf("reading the checked-out commit to resume run %s: %w", run.ID, err))
	}
	if head.SHA != run.Commit {
		shown := head.SHA
		if shown == "" {
			shown = "no commit"
		}
		return invalid(fmt.Errorf("%w: %w: HEAD of %s is %.12s, but run %s was started from commit %.12s; %s",
			ErrNotResumable, ErrWrongCommit, res.RepoRoot, shown, run.ID, run.Commit, fix))
	}
	dirty, err := gitsrc.Dirty(res.RepoRoot)
	if err != nil {
		return failed(fmt.Errorf("resuming run %s: %w", run.ID, err))
	}
	if dirty {
		return invalid(fmt.Errorf("%w: %w in %s (see `git status`); %s", ErrNotResumable, ErrDirtyTree, res.RepoRoot, fix))
	}
	return nil
}

// load loads the config of a recorded run at commit (the working tree
// when not in git or commit is empty). branch is the git.branch the config
// sees (a commit names no branch): the one the run saw when it started, or
// the release's.
func (e *Engine) load(dir, commit, branch string, rec *recorded) (*loader.Result, error) {
	res, diags := loader.Load(loader.Request{Dir: dir, Vars: rec.Vars, Getenv: e.opts.Getenv})
	if !diags.HasErrors() && res.RepoRoot != "" && commit != "" {
		res, diags = loader.Load(loader.Request{Dir: dir, Ref: commit, Branch: branch, Vars: rec.Vars, Getenv: e.opts.Getenv})
	}
	if diags.HasErrors() {
		ce := &ConfigError{Diags: diags}
		if res != nil {
			ce.Files = res.Parser.Files()
		}
		return nil, ce
	}
	return res, nil
}

func deployKindOf(runKind string) string {
	switch runKind {
	case "deploy":
		return state.DeployKindPromote
	case "rollback":
		return state.DeployKindRollback
	}
	return state.DeployKindRun
}
