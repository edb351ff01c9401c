package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
)

func init() {
	extraCommands = append(extraCommands, newRunsCommand, newLogsCommand, newReleasesCommand,
		newHistoryCommand, newStatusCommand, newAuditCommand)
}

func printDataJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func fmtWhen(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// queryEngine opens the store for a read-only command.
func (g *globals) queryEngine(ctx context.Context) (*engine.Engine, func(), error) {
	return g.openEngine(ctx, wiring{})
}

func newRunsCommand(g *globals) *cobra.Command {
	var limit int
	var all bool
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List recorded runs, newest first",
		Long: `runs lists the runs of the pipeline (of every pipeline with --all) with their
status. A run whose process died shows as "crashed"; continue it with
pipeline resume RUN.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := context.Background()
			eng, closeAll, err := g.queryEngine(ctx)
			if err != nil {
				return err
			}
			defer closeAll()
			pipeline := ""
			if !all {
				pipeline = g.pipelineName()
			}
			runs, err := eng.Runs(ctx, pipeline, limit)
			if err != nil {
				return err
			}
			if g.json {
				return printDataJSON(g.stdout, runs)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tPIPELINE\tKIND\tSTATUS\tCOMMIT\tBRANCH\tSTARTED\tREASON")
			for _, r := range runs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.12s\t%s\t%s\t%s\n", r.ID, r.Pipeline, r.Kind, r.Display, r.Commit, r.Branch, fmtWhen(r.StartedAt), r.Reason)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "show at most `N` runs (0: all)")
	cmd.Flags().BoolVar(&all, "all", false, "list the runs of every pipeline in the store")
	return cmd
}

func newLogsCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "logs RUN [STEP]",
		Short: "Print the masked logs of a run, or of one of its steps",
		Long: `logs prints the recorded output of a run's steps, with secret values masked.
STEP is a node id (build.webapp.compile) or a unique suffix of one (compile).`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := context.Background()
			eng, closeAll, err := g.queryEngine(ctx)
			if err != nil {
				return err
			}
			defer closeAll()
			step := ""
			if len(args) == 2 {
				step = args[1]
			}
			lines, err := eng.Logs(ctx, args[0], step)
			if err != nil {
				return err
			}
			if g.json {
				return printDataJSON(g.stdout, lines)
			}
			for _, l := range lines {
				if step != "" {
					fmt.Fprintln(g.stdout, l.Text)
					continue
				}
				fmt.Fprintf(g.stdout, "[%s] %s\n", l.NodeID, l.Text)
			}
			return nil
		},
	}
}

func newReleasesCommand(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "releases",
		Short: "List the pipeline's releases, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := g.loadConfig()
			if err != nil {
				return err
			}
			ctx := context.Background()
			eng, closeAll, err := g.queryEngine(ctx)
			if err != nil {
				return err
			}
			defer closeAll()
			rels, err := eng.Releases(ctx, res.Config.Pipeline.Name, limit)
			if err != nil {
				return err
			}
			if g.json {
				return printDataJSON(g.stdout, rels)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tCREATED\tCOMMIT\tBRANCH\tAUTHOR\tARTIFACTS\tIMAGES\tRUN")
			for _, r := range rels {
				fmt.Fprintf(tw, "%s\t%s\t%.12s\t%s\t%s\t%d\t%d\t%s\n", r.Version, fmtWhen(r.CreatedAt), r.Commit, r.Branch, r.Author, len(r.Artifacts), len(r.Images), r.RunID)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "show at most `N` releases (0: all)")
	return cmd
}

func newHistoryCommand(g *globals) *cobra.Command {
	var env string
	var limit int
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Show the deployment history: version, when, status, approver and commits",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := g.loadConfig()
			if err != nil {
				return err
			}
			ctx := context.Background()
			eng, closeAll, err := g.queryEngine(ctx)
			if err != nil {
				return err
			}
			defer closeAll()
			h, err := eng.History(ctx, res.Config.Pipeline.Name, env, limit)
			if err != nil {
				return err
			}
			if g.json {
				return printDataJSON(g.stdout, h)
			}
			return writeHistory(g.stdout, h)
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "only this `ENV`ironment")
	cmd.Flags().IntVar(&limit, "limit", 50, "show at most `N` deployments (0: all)")
	return cmd
}

func writeHistory(w io.Writer, h *engine.History) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVIRONMENT\tVERSION\tKIND\tSTATUS\tSTARTED\tAPPROVED BY\tCOMMITS")
	for _, d := range h.Deployments {
		by := strings.Join(d.ApprovedBy, ", ")
		if by == "" {
			by = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", d.Environment, d.Version, d.Kind, d.Status, fmtWhen(d.StartedAt), by, len(d.Commits))
		for _, c := range d.Commits {
			fmt.Fprintf(tw, "\t\t\t\t\t\t  %.10s %s (%s)\n", c.SHA, c.Subject, c.Author)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, env := range sortedStringKeys(h.RollbackTargets) {
		fmt.Fprintf(w, "rollback target of %s: %s\n", env, h.RollbackTargets[env])
	}
	return nil
}

func sortedStringKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func newStatusCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show each environment: the version live, what waits at a gate, the rollback target",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := g.loadConfig()
			if err != nil {
				return err
			}
			ctx := context.Background()
			eng, closeAll, err := g.queryEngine(ctx)
			if err != nil {
				return err
			}
			defer closeAll()
			var envs []string
			for _, s := range res.Config.Stages {
				if s.Kind == dsl.KindEnvironment {
					envs = append(envs, s.Name)
				}
			}
			rows, err := eng.Status(ctx, res.Config.Pipeline.Name, envs)
			if err != nil {
				return err
			}
			if g.json {
				return printDataJSON(g.stdout, map[string]any{"pipeline": res.Config.Pipeline.Name, "environments": rows})
			}
			return writeStatus(g.stdout, res.Config.Pipeline.Name, rows)
		},
	}
}

func writeStatus(w io.Writer, pipeline string, rows []engine.EnvStatus) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PIPELINE\tENVIRONMENT\tLIVE\tSINCE\tLATEST\tWAITING\tROLLBACK TARGET")
	for _, r := range rows {
		live, since, latest, waiting, target := "-", "-", "-", "-", "-"
		if r.Live != nil {
			live, since = r.Live.Version, fmtWhen(r.Live.FinishedAt)
		}
		if r.Latest != nil {
			latest = r.Latest.Version + " " + r.Latest.Status
		}
		var ws []string
		for _, g := range r.Waiting {
			ws = append(ws, fmt.Sprintf("%s (run %s)", g.Name, g.RunID))
		}
		if len(ws) > 0 {
			waiting = strings.Join(ws, ", ")
		}
		if r.RollbackTarget != "" {
			target = r.RollbackTarget
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", pipeline, r.Environment, live, since, latest, waiting, target)
	}
	return tw.Flush()
}

func newAuditCommand(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the append-only audit trail: approvals, rejections, expiries, rollbacks, lock takeovers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := context.Background()
			eng, closeAll, err := g.queryEngine(ctx)
			if err != nil {
				return err
			}
			defer closeAll()
			evs, err := eng.Audit(ctx, g.pipelineName(), limit)
			if err != nil {
				return err
			}
			if g.json {
				return printDataJSON(g.stdout, evs)
			}
			return writeAudit(g.stdout, evs)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "show the newest `N` events (0: all)")
	return cmd
}

func writeAudit(w io.Writer, evs []*state.AuditEvent) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tWHEN\tACTOR\tACTION\tPIPELINE\tENVIRONMENT\tRELEASE\tRUN\tDETAIL")
	for _, e := range evs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, fmtWhen(e.At), e.Actor, e.Action, e.Pipeline, e.Environment, e.Release, e.RunID, e.Detail)
	}
	return tw.Flush()
}
