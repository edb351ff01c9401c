package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/view"
)

func init() {
	extraCommands = append(extraCommands, newDeployCommand, newRollbackCommand, newGCCommand)
}

func newDeployCommand(g *globals) *cobra.Command {
	var rf runnerFlags
	var version string
	var overrideFreeze bool
	cmd := &cobra.Command{
		Use:   "deploy ENV --release VERSION",
		Short: "Promote an existing release to an environment without rebuilding",
		Long: `deploy runs the environment's steps for a release that already exists. The
environment's trusted branches, requires and gates apply: a release reaches
production only after it succeeded in the environments production requires.
They are read from --trusted-ref (default: the repository's default branch);
when it cannot be determined or its config does not load in this directory,
the deployment is refused: pass --trusted-ref REF (see pipeline run --help).

The steps run from a temporary checkout of the release's commit (a detached
git worktree below .git/pipeline-checkouts, removed afterwards; pipeline gc
removes one a killed process left), so the scripts that run are the
release's own, not the working tree's. When that commit is not in the
repository (a shallow clone), deploy refuses (exit 2) and says how to fetch it.
` + runJSONHelp,
		Example: `  pipeline deploy production --release 1.0.42`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := g.loadConfig()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			g.jsonResultMode()
			eng, closeAll, err := g.openEngine(ctx, wiring{res: res, flags: &rf})
			if err != nil {
				return err
			}
			defer closeAll()
			out, err := eng.Deploy(ctx, engine.DeployRequest{Config: res, Vars: varArgsOf(g), Environment: args[0], Version: version,
				Runner: rf.runner, Wait: rf.wait, WaitLock: rf.waitLock, TrustedRef: rf.trustedRef, Started: g.printStarted,
				OverrideFreeze: overrideFreeze})
			return g.finishRun(out, err)
		},
	}
	rf.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&version, "release", "", "the release `VERSION` to deploy")
	cmd.Flags().BoolVar(&overrideFreeze, "override-freeze", false, overrideFreezeHelp)
	return cmd
}

// overrideFreezeHelp describes --override-freeze.
const overrideFreezeHelp = "deploy into an environment under a freeze block anyway; you ($PIPELINE_USER) must approve one of its gates, and the override is recorded in the audit trail"

func newRollbackCommand(g *globals) *cobra.Command {
	var rf runnerFlags
	var to string
	var overrideFreeze bool
	cmd := &cobra.Command{
		Use:   "rollback ENV [--to VERSION]",
		Short: "Redeploy the release that was live in an environment before the current one",
		Long: `rollback redeploys, with its own recorded artifacts and images, the release
that was live in ENV before the current one, or the release --to VERSION.
Failed deployments are never targets, nor is a release that was rolled away
from: after rolling back from 1.0.2 to 1.0.1 the next target is the release
live before 1.0.1. It is recorded as a rollback in the history and the audit
trail, with your identity ($PIPELINE_USER, else git config user.email).

--to VERSION accepts only a release whose deployment to ENV succeeded before;
any other release is refused (exit 2): it has not passed ENV's gates, so
promote it with "pipeline deploy ENV --release VERSION", which applies them.
The release live in ENV is refused too (exit 2): there is nothing to roll
back (after a failed deployment there, which may have left ENV half changed,
it is accepted). Without a target, the error lists the releases deployed to
ENV and their status.

Like deploy, a rollback runs the steps of the release's own commit, from a
temporary checkout of it, and the run records that commit.

Gates are skipped on purpose: a rollback restores a release that already
passed them when it was deployed, and must not wait for a person during an
incident. The output says so ("gates skipped: ...") and the audit trail
records it. Branches and requires are not checked again either, so a
rollback does not need the config at --trusted-ref.
` + runJSONHelp,
		Example: `  pipeline rollback production
  pipeline rollback production --to 1.0.40`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := g.loadConfig()
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			g.jsonResultMode()
			eng, closeAll, err := g.openEngine(ctx, wiring{res: res, flags: &rf})
			if err != nil {
				return err
			}
			defer closeAll()
			out, err := eng.Rollback(ctx, engine.RollbackRequest{To: to, DeployRequest: engine.DeployRequest{Config: res,
				Vars: varArgsOf(g), Environment: args[0], Runner: rf.runner, Wait: rf.wait, WaitLock: rf.waitLock,
				TrustedRef: rf.trustedRef, Started: g.printStarted, OverrideFreeze: overrideFreeze}})
			return g.finishRun(out, err)
		},
	}
	rf.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&overrideFreeze, "override-freeze", false, overrideFreezeHelp)
	cmd.Flags().StringVar(&to, "to", "", "roll back to this release `VERSION` instead of the rollback target (it must have been deployed to ENV successfully before)")
	return cmd
}

func newGCCommand(g *globals) *cobra.Command {
	var all bool
	var rf runnerFlags
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Remove containers, partial artifacts and release checkouts left by killed pipeline processes",
		Long: `gc removes the step containers (found by label), partial artifact files and
release checkouts (below .git/pipeline-checkouts, made by deploy and
rollback) that killed pipeline processes left behind. With --all it also
removes those of pipeline processes that are still running.

Only what is dead is removed: containers created on this host identity
(machine id and PID namespace, recorded in a label) whose creating process
is gone, and partial artifact files whose writer (host and PID in the file
name) is gone. Containers and files of other hosts sharing the Docker engine
or the artifact directory, and those of live runs, are never touched; --all
also removes this host's containers of live runs.

Exit codes: 0 cleaned; 1 something could not be removed, or the Docker
engine did not answer (partial artifact files are still cleaned); 2 the
SQLite state store does not exist (gc creates none, but still removes
containers and partial artifact files first).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := context.Background()
			rf.runner = "docker"
			url, _, err := g.stateLocation()
			if err != nil {
				return err
			}
			// gc needs no store: without one it creates none, still cleans,
			// and then refuses like the other commands on recorded state.
			noStore := checkStoreExists(url)
			eng, closeAll, err := g.openEngine(ctx, wiring{flags: &rf, dockerOptional: true, storeless: noStore != nil})
			if err != nil {
				return err
			}
			defer closeAll()
			res, err := eng.GC(ctx, all)
			if g.json && res != nil {
				if jerr := printDataJSON(g.stdout, view.NewGC(res)); jerr != nil {
					return jerr
				}
			} else if res != nil {
				fmt.Fprintf(g.stdout, "removed %s and %s\n", plural(res.Containers, "container"), plural(res.TempFiles, "partial artifact file"))
				if res.Checkouts > 0 {
					fmt.Fprintf(g.stdout, "removed %s\n", plural(res.Checkouts, "leftover release checkout"))
				}
			}
			if g.dockerDown != nil {
				down := fmt.Errorf("gc could not reach the Docker engine, so containers left by killed runs were not removed "+
					"(partial artifact files were cleaned): %w\nStart dockerd or fix DOCKER_HOST, then run `pipeline gc` again", g.dockerDown)
				if noStore != nil {
					down = fmt.Errorf("%w\n%w (gc created no store)", down, noStore)
				}
				return errors.Join(err, down)
			}
			if err == nil && noStore != nil {
				return &usageError{fmt.Errorf("%w\n(gc removed the leftover containers and partial artifact files above all the same, and created no store)", noStore)}
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also remove this host's containers of pipeline processes that are still running")
	return cmd
}
