package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/engine/release"
	"github.com/pipeline-cd/pipeline/engine/state/backend"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/engine/statecheck"
	"github.com/pipeline-cd/pipeline/internal/proc"
)

func init() {
	extraCommands = append(extraCommands, newStateCommand)
}

// pgDumpRecipe is how a PostgreSQL store is backed up and restored.
const pgDumpRecipe = `A PostgreSQL state store is backed up with PostgreSQL's own tools:
  pg_dump --format=custom --file=pipeline-state.dump "$PIPELINE_STATE"
  pg_restore --clean --if-exists --no-owner --dbname="$PIPELINE_STATE" pipeline-state.dump
Back up the artifact directory (--artifacts, $PIPELINE_ARTIFACTS) beside it.`

func newStateCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Check, back up and restore the state store",
		Long: `state checks the state store's invariants (state check) and backs up and
restores a SQLite store (state backup FILE, state restore FILE).

` + pgDumpRecipe,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{errors.New("name a subcommand: check, backup or restore")}
		},
	}
	cmd.AddCommand(newStateCheckCommand(g), newStateBackupCommand(g, "backup"), newStateBackupCommand(g, "restore"))
	return cmd
}

func newStateCheckCommand(g *globals) *cobra.Command {
	var final, logs bool
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Verify the state store's invariants and the artifact store's hashes",
		Long: `check reads every run, release and deployment of the state store and
reports what breaks its invariants: two deployments of one environment at
the same time, a deployment whose release is not recorded, a release
artifact missing from the artifact store or not matching its sha256, a run
or deployment recorded running by a process of this host that is gone
(pipeline resume continues it), an approval bound to another release than
its gate guards, and (with --logs) gaps in stored step logs. It changes
nothing. Exit codes: 0 no finding, 1 findings, 2 no store.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := context.Background()
			url, artifacts, err := g.stateLocation()
			if err != nil {
				return err
			}
			if p, ok := backend.SQLitePath(url); ok {
				if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
					return &usageError{fmt.Errorf("no state store at %s: nothing was recorded here yet (or pass --state)", p)}
				}
			}
			st, err := backend.Open(ctx, url, g.logger())
			if err != nil {
				return fmt.Errorf("opening the state store: %w", err)
			}
			defer st.Close()
			host, _ := os.Hostname()
			rep, err := statecheck.Check(ctx, st, statecheck.Options{Artifacts: &release.CAS{Root: artifacts},
				Host: host, Alive: proc.Alive, RequireFinal: final, Logs: logs})
			if err != nil {
				return fmt.Errorf("reading the state store: %w", err)
			}
			if g.json {
				if err := printDataJSON(g.stdout, rep); err != nil {
					return err
				}
			} else {
				writeCheck(g.stdout, rep)
			}
			if !rep.OK() {
				return &silentError{code: exitFailed}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&final, "final", false, "also report every run that is not in a final state (succeeded, failed, cancelled, rejected, expired)")
	cmd.Flags().BoolVar(&logs, "logs", false, "also check the numbering of every stored log line (reads every log)")
	return cmd
}

func writeCheck(w io.Writer, rep *statecheck.Report) {
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "FAIL  %s\n", f)
	}
	fmt.Fprintf(w, "checked %d runs, %d releases (%d artifacts), %d deployments, %d approvals, %d log lines: %d findings\n",
		rep.Runs, rep.Releases, rep.Artifacts, rep.Deployments, rep.Approvals, rep.LogLines, len(rep.Findings))
}

func newStateBackupCommand(g *globals, verb string) *cobra.Command {
	short, long := "Copy the SQLite state store to FILE while it is in use",
		`backup copies the SQLite state store to FILE (which must not exist) through
SQLite's online backup API: runs may go on meanwhile, and the copy is
consistent. The artifact directory is not copied; back it up beside it.`
	if verb == "restore" {
		short, long = "Replace the SQLite state store's content with the backup FILE",
			`restore checks that FILE is a pipeline state database (SQLite's integrity
check, a schema this binary knows) and replaces the store's content with it
through SQLite's online backup API, waiting for running writers; other
processes see the old or the restored content, never a mix.`
	}
	return &cobra.Command{
		Use:   verb + " FILE",
		Short: short,
		Long:  long + "\n\n" + pgDumpRecipe,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := context.Background()
			url, _, err := g.stateLocation()
			if err != nil {
				return err
			}
			path, ok := backend.SQLitePath(url)
			if !ok {
				return &usageError{fmt.Errorf("state %s works on a SQLite state store only, and this one is not.\n%s", verb, pgDumpRecipe)}
			}
			if verb == "backup" {
				if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
					return &usageError{fmt.Errorf("no state store at %s: nothing to back up (or pass --state)", path)}
				}
				if err := sqlite.Backup(ctx, path, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "backed up %s to %s\n", path, args[0])
				return nil
			}
			if err := sqlite.Restore(ctx, path, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "restored %s from %s; run pipeline state check to verify it against the artifact store\n", path, args[0])
			return nil
		},
	}
}
