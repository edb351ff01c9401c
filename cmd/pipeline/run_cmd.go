package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
)

func init() {
	extraCommands = append(extraCommands, newRunCommand, newResumeCommand)
}

func newRunCommand(g *globals) *cobra.Command {
	var sel selection
	var rf runnerFlags
	var dryRun, failFast, allowDirty, noCache bool
	var parallelism int
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the pipeline: build, test, package a release and deploy it through the environments",
		Long: `run plans the pipeline and executes it: steps run in containers (or on the
host with runner = "local"), a release is recorded when every package stage
succeeded, and each environment records a deployment. The run id is printed
first. A run that reaches a gate prints the exact approve command and exits
with code 3 (or waits with --wait).

Protection rules (gates, branches, requires) come from the config at
--trusted-ref (default: the repository's default branch: origin/HEAD, else
init.defaultBranch, main or master; never the current branch), not from the
change. When that ref cannot be determined, or its config does not load in
this directory or declares another pipeline, every environment is refused
(build, test and package still run; exit 1): pass --trusted-ref REF, or merge
the config change (a moved or renamed config included) first. Outside a git
repository the working tree's config is the only one and its rules apply.

A run never puts its release live over a newer one: when a release created
after it is already live in an environment (a later run passed the gate
first), that environment is refused (exit 1), also on resume. Go back on
purpose with pipeline deploy ENV --release V or pipeline rollback ENV --to V.

Steps run in the working tree, but a release records the checked-out commit.
When tracked files are modified (git status --porcelain --untracked-files=no
lists something; untracked files are fine), build, test and package steps
still run, but no release is created and every environment is refused
(exit 1): commit the changes first. With --allow-dirty the release is created
with a "-dirty" suffix on its version and records no branch, so environments
with a branches rule refuse it.

A build, test or package step that declares inputs is reused when a run
recorded a success with the same key (its image ID, command, env without
secret values, secret names, the content of its input files and the keys of
the steps it needs): it does not run, its outputs are restored from the
artifact store's step-outputs folder and it is shown as "reused from run R".
--no-cache runs every step.

Exit codes: 0 success, 1 a step or deployment failed, 2 bad usage or invalid
config, 3 stopped at a gate.

--dry-run walks the plan the way a run would: the same trusted rules (gates,
branches, requires, with the same warnings), the same when conditions and the
same refusals, and exits with the code the run would (3 when it would stop at
a gate, 1 when an environment would be refused or the release version
already exists in the SQLite store, which it reads when it exists), without
running a step or recording anything.
` + runJSONHelp,
		Example: `  pipeline run
  pipeline run --json --runner local > result.json
  pipeline run --dry-run
  pipeline run --only test --runner local
  pipeline run --until beta --parallelism 4 --fail-fast`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if parallelism < 1 {
				return &usageError{fmt.Errorf("--parallelism %d: pass 1 or more, the number of steps to run at once (default %d)", parallelism, exec.DefaultParallelism)}
			}
			res, err := g.loadConfig()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			if !dryRun {
				g.jsonResultMode()
			}
			eng, closeAll, err := g.openEngine(ctx, wiring{res: res, flags: &rf, noStore: dryRun, readStore: dryRun})
			if err != nil {
				return err
			}
			defer closeAll()
			req := engine.RunRequest{Config: res, Vars: varArgsOf(g), Only: sel.only, Skip: sel.skip, Until: sel.until,
				Parallelism: parallelism, FailFast: failFast, Runner: rf.runner, Wait: rf.wait, WaitLock: rf.waitLock,
				TrustedRef: rf.trustedRef, Started: g.printStarted, AllowDirty: allowDirty, NoCache: noCache}
			if dryRun {
				fmt.Fprintf(g.stdout, "dry run of %s: nothing runs, nothing is recorded\n", res.Config.Pipeline.Name)
				out, err := eng.DryRun(ctx, req)
				if err != nil {
					return g.renderEngineError(err)
				}
				writeRules(g.stderr, out.TrustedRef, out.Warnings, nil)
				if len(out.Gates) > 0 {
					var at []string
					for _, gw := range out.Gates {
						at = append(at, gw.Environment+"/"+gw.Gate)
					}
					fmt.Fprintf(g.stdout, "dry run: would stop at gate %s\n", strings.Join(at, ", "))
				}
				if out.NotStarting != nil {
					fmt.Fprintf(g.stderr, "Error: %v\n", out.NotStarting)
				}
				fmt.Fprintf(g.stdout, "dry run %s: a run would exit with code %d\n", out.Exec.Status, out.Code())
				if code := out.Code(); code != exitOK {
					return exitWith(code)
				}
				return nil
			}
			out, err := eng.Run(ctx, req)
			return g.finishRun(out, err)
		},
	}
	sel.addFlags(cmd)
	rf.addFlags(cmd.Flags())
	f := cmd.Flags()
	f.BoolVar(&dryRun, "dry-run", false, "walk the plan as a run would (the trusted ref's rules applied), evaluate when conditions and print what would run, without Docker or the state store; exits with the code the run would")
	f.IntVar(&parallelism, "parallelism", exec.DefaultParallelism, "run at most `N` steps at once (steps mostly wait on the Docker engine, so more than the CPUs pays; see README Performance)")
	f.BoolVar(&failFast, "fail-fast", false, "stop every running step as soon as one fails")
	f.BoolVar(&noCache, "no-cache", false, "run every step, even those whose recorded result could be reused (steps with inputs); their results are still recorded")
	f.BoolVar(&allowDirty, "allow-dirty", false, "create a release from a working tree with modified tracked files: its version gets a -dirty suffix and it records no branch, so branches rules refuse it")
	return cmd
}

func newResumeCommand(g *globals) *cobra.Command {
	var rf runnerFlags
	cmd := &cobra.Command{
		Use:   "resume RUN",
		Short: "Continue a run from its gate, or from a crash, without re-running what succeeded",
		Long: `resume continues a run that stopped at a gate, crashed (its process was killed)
or failed: it reloads the config at the run's recorded commit, plans it with
the run's recorded options and runs every node that has not succeeded yet.
A run resumes with the variables it started with, so it takes no -var-file
and -var only for the values the run did not store: those of variables
declared sensitive and those holding a secret's value. Give each of them
again with -var NAME=VALUE (or PIPELINE_VAR_NAME); resume names the ones it
needs and refuses (exit 2) without them. A run that was cancelled (its gates are closed) or whose gate expired
cannot be resumed (exit 2): start a new run. Steps run in the working tree,
so a run resumes only from a checkout of its recorded commit with no modified
tracked files; otherwise resume refuses (exit 2): check out that commit and a
clean tree first.
` + runJSONHelp,
		Example: `  pipeline approve r-20261125-ab12cd go-live && pipeline resume r-20261125-ab12cd`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signalContext()
			defer stop()
			res, _ := g.quietConfig()
			g.jsonResultMode()
			eng, closeAll, err := g.openEngine(ctx, wiring{res: res, flags: &rf, existing: true})
			if err != nil {
				return err
			}
			defer closeAll()
			vars, diags := g.varArgs()
			if diags.HasErrors() {
				return &usageError{diags}
			}
			out, err := eng.Resume(ctx, engine.ResumeRequest{RunID: args[0], Wait: rf.wait, WaitLock: rf.waitLock, Started: g.printStarted, Vars: vars})
			if out == nil || out.Run == nil {
				g.startedRun = args[0]
			}
			return g.finishRun(out, err)
		},
	}
	rf.addFlags(cmd.Flags())
	return cmd
}

// runJSONHelp documents --json of the commands that run steps.
const runJSONHelp = `
With --json the human log goes to stderr and, once the run ends, stdout gets
one JSON object (the run id is its run_id, not a first line):
  {"run_id", "pipeline", "kind", "status", "exit_code", "reason", "error",
   "release": {"version", "digest"} or null,
   "waiting": [{"environment", "gate", "approvers", "approve_command",
                "reject_command"}],
   "deployments": [{"id", "environment", "version", "status"}],
   "resume_command"}
exit_code is the code the command exits with. When the command fails before
a run starts (invalid config, unreachable state store or Docker), stdout gets
the diagnostics (invalid config) or nothing, and stderr the error.`

// jsonResultMode, with --json, sends the command's human output to stderr
// and keeps stdout for the JSON result finishRun prints.
func (g *globals) jsonResultMode() {
	if g.json {
		g.result, g.stdout = g.stdout, g.stderr
	}
}

// finishRun reports a run's outcome: the human summary (on stderr in
// --json mode) and, in --json mode, the JSON result on the original stdout.
// It returns the error to exit with.
func (g *globals) finishRun(out *engine.RunResult, err error) error {
	rerr := g.reportRun(out, err)
	if g.result == nil {
		return rerr
	}
	var gates []engine.GateWait
	var we *engine.WaitingError
	if errors.As(err, &we) {
		gates = we.Gates
	}
	doc := view.NewRunResult(out, g.startedRun, gates, g.cmdPrefix())
	if rerr != nil {
		doc.ExitCode = exitCode(rerr)
	}
	if err != nil && we == nil {
		doc.Error = err.Error()
	}
	if doc.Status == "" && doc.ExitCode != exitOK {
		doc.Status = state.StatusFailed
	}
	if jerr := printDataJSON(g.result, doc); jerr != nil {
		return jerr
	}
	return rerr
}

// reportRun prints the outcome of a run and returns the error to exit with.
func (g *globals) reportRun(out *engine.RunResult, err error) error {
	var we *engine.WaitingError
	if errors.As(err, &we) {
		for _, w := range we.Gates {
			fmt.Fprintf(g.stdout, "\nrun %s is waiting at gate %s of %s (approvers: %s)\n", we.RunID, w.Gate, w.Environment, strings.Join(w.Approvers, ", "))
			fmt.Fprintf(g.stdout, "  approve: %s approve %s %s\n", g.cmdPrefix(), we.RunID, w.Arg())
			fmt.Fprintf(g.stdout, "  reject:  %s reject %s %s\n", g.cmdPrefix(), we.RunID, w.Arg())
		}
		fmt.Fprintf(g.stdout, "  then:    %s resume %s\n", g.cmdPrefix(), we.RunID)
		return exitWith(exitStopped)
	}
	if out != nil && out.Run != nil {
		if out.Release != nil && out.Run.Kind == "run" {
			fmt.Fprintf(g.stdout, "release %s %s (%s)\n", out.Release.Pipeline, out.Release.Version, out.Release.Digest)
		}
		for _, d := range out.Deployments {
			fmt.Fprintf(g.stdout, "deployment of %s to %s: %s\n", d.Version, d.Environment, d.Status)
		}
		if err == nil {
			fmt.Fprintf(g.stdout, "run %s %s\n", out.Run.ID, out.Run.Status)
		}
	}
	if err != nil {
		return g.renderEngineError(err)
	}
	return nil
}

// cmdPrefix is "pipeline" plus the global flags a follow-up command needs.
func (g *globals) cmdPrefix() string {
	s := "pipeline"
	if g.dir != "." && g.dir != "" {
		s += " -C " + shellQuote(g.dir)
	}
	if g.stateURL != "" {
		s += " --state " + shellQuote(g.stateURL)
	}
	return s
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"$`\\!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
