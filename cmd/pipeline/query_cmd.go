package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/serve"
	"github.com/pipeline-cd/pipeline/engine/signoff"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
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

// checkLimit refuses a negative --limit before the store is opened.
func checkLimit(limit int) error {
	if limit < 0 {
		return &usageError{fmt.Errorf("--limit %d is negative; pass 0 for all, or N > 0 for at most N", limit)}
	}
	return nil
}

// queryEngine opens the store for a read-only command; a SQLite store
// that does not exist is an error, never created.
func (g *globals) queryEngine(ctx context.Context) (*engine.Engine, func(), error) {
	return g.openEngine(ctx, wiring{existing: true})
}

// withQuery opens the existing store read-only through the engine, calls fn
// and closes everything, so each query command is only its query.
func (g *globals) withQuery(fn func(ctx context.Context, eng *engine.Engine) error) error {
	ctx := context.Background()
	eng, closeAll, err := g.queryEngine(ctx)
	if err != nil {
		return err
	}
	defer closeAll()
	return fn(ctx, eng)
}

func newRunsCommand(g *globals) *cobra.Command {
	var limit int
	var all bool
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List recorded runs, newest first",
		Long: `runs lists the runs of the pipeline (of every pipeline with --all) with their
status. A run whose process died shows as "crashed"; continue it with
pipeline resume RUN. --all needs no config: it works from a repository root
that holds no pipeline files.

With --json it prints the document GET /api/runs of pipeline serve answers:
{"runs": [{"id", "pipeline", "component", "commit", "branch", "author",
"config_digest", "kind", "status", "reason", "release_id", "host", "pid",
"started_at", "finished_at"}]}; times are RFC 3339 in UTC or null.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkLimit(limit); err != nil {
				return err
			}
			return g.withQuery(func(ctx context.Context, eng *engine.Engine) error {
				pipeline := ""
				if !all {
					pipeline = g.pipelineName()
				}
				runs, err := eng.Runs(ctx, pipeline, limit)
				if err != nil {
					return err
				}
				if g.json {
					return printDataJSON(g.stdout, view.NewRuns(runs))
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "RUN\tPIPELINE\tKIND\tSTATUS\tCOMMIT\tBRANCH\tSTARTED\tREASON")
				for _, r := range runs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.12s\t%s\t%s\t%s\n", r.ID, r.Pipeline, r.Kind, r.Display, r.Commit, r.Branch, fmtWhen(r.StartedAt), r.Reason)
				}
				return tw.Flush()
			})
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
STEP is a node id (build.webapp.compile) or a unique suffix of one (compile).
The lines of a step that ran more than once (retries, or a resume after a
crash) are marked with their attempt: [build.webapp.compile attempt 2].

With --json it prints {"run_id", "step", "lines": [{"node_id", "attempt",
"seq", "stream", "at", "text"}]}.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withQuery(func(ctx context.Context, eng *engine.Engine) error {
				step := ""
				if len(args) == 2 {
					step = args[1]
				}
				w := bufio.NewWriterSize(g.stdout, 64<<10)
				var err error
				if g.json {
					// Nothing is written before the run and step are
					// known to exist: the document would be cut short.
					var doc *logsJSON
					err = eng.StreamLogs(ctx, args[0], step, func(_ map[string][]int, l state.LogLine) error {
						if doc == nil {
							doc = newLogsJSON(w, args[0], step)
						}
						return doc.line(l)
					})
					if err == nil {
						if doc == nil {
							doc = newLogsJSON(w, args[0], step)
						}
						err = doc.close()
					}
				} else {
					err = eng.StreamLogs(ctx, args[0], step, func(attempts map[string][]int, l state.LogLine) error {
						return writeLogLine(w, l, step != "", len(attempts[l.NodeID]) > 1)
					})
				}
				if ferr := w.Flush(); err == nil {
					err = ferr
				}
				return err
			})
		},
	}
}

func newReleasesCommand(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "releases",
		Short: "List the pipeline's releases, newest first",
		Long: `releases lists the pipeline's releases, newest first.

With --json it prints the document GET /api/releases?pipeline=NAME of
pipeline serve answers: {"releases": [{"id", "pipeline", "version",
"commit", "branch", "author", "config_digest", "digest", "run_id",
"artifacts": [{"name", "path", "sha256", "size"}], "images": [{"name", "id",
"tag"}], "created_at"}]}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkLimit(limit); err != nil {
				return err
			}
			res, err := g.loadConfig()
			if err != nil {
				return err
			}
			return g.withQuery(func(ctx context.Context, eng *engine.Engine) error {
				rels, err := eng.Releases(ctx, res.Config.Pipeline.Name, limit)
				if err != nil {
					return err
				}
				if g.json {
					return printDataJSON(g.stdout, view.NewReleases(rels))
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "VERSION\tCREATED\tCOMMIT\tBRANCH\tAUTHOR\tARTIFACTS\tIMAGES\tRUN")
				for _, r := range rels {
					fmt.Fprintf(tw, "%s\t%s\t%.12s\t%s\t%s\t%d\t%d\t%s\n", r.Version, fmtWhen(r.CreatedAt), r.Commit, r.Branch, r.Author, len(r.Artifacts), len(r.Images), r.RunID)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "show at most `N` releases (0: all)")
	return cmd
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
	var all bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each environment: the version live, what waits at a gate, the rollback target",
		Long: `status shows, for each environment of the pipeline, the version live and
since when, the newest deployment, the gates waiting (with the run to
approve; a gate past its timeout shows as expired and can no longer be
approved: start a new run; a gate approved in a run that was not resumed yet
shows as approved with the resume command) and the version pipeline rollback
would deploy.

With --all it shows every pipeline the state store has a run of, in one
table: the components of a monorepo sharing one store. --all needs no
config, so it also works from a repository root that holds no pipeline
files; a pipeline's environments are then listed in the order they were
first deployed to.

With --json it prints the document GET /api/status of pipeline serve
answers: {"store", "generated_at", "pipelines": [{"pipeline",
"environments": [{"environment", "live", "latest", "waiting", "expired",
"approved", "rollback_target"}]}]}.`,
		Example: `  pipeline status
  pipeline status --all --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var configured []string
			name := ""
			if all {
				if res, ok := g.quietConfig(); ok {
					name, configured = res.Config.Pipeline.Name, environmentsOf(res.Config)
				}
			} else {
				if g.ref == "" && noPipelineFiles(g.dir) {
					return &usageError{fmt.Errorf("no pipeline here (%s holds no pipeline.hcl or *.pipeline.hcl); use `pipeline status --all` for every pipeline in the store, or -C DIR for one", g.dir)}
				}
				res, err := g.loadConfig()
				if err != nil {
					return err
				}
				name, configured = res.Config.Pipeline.Name, environmentsOf(res.Config)
			}
			return g.withQuery(func(ctx context.Context, eng *engine.Engine) error {
				names := []string{name}
				if all {
					var err error
					if names, err = eng.Pipelines(ctx); err != nil {
						return err
					}
				}
				doc := view.Status{GeneratedAt: view.Time(time.Now()), Pipelines: []view.PipelineStatus{}}
				if url, _, err := g.stateLocation(); err == nil {
					doc.Store = serve.Redact(url)
				}
				for _, p := range names {
					envs := []string(nil)
					if p == name {
						envs = configured
					}
					if all {
						hist, err := eng.History(ctx, p, "", statusHistory)
						if err != nil {
							return err
						}
						envs = append(envs, hist.Environments()...)
					}
					rows, err := eng.Status(ctx, p, envs)
					if err != nil {
						return err
					}
					doc.Pipelines = append(doc.Pipelines, view.NewPipelineStatus(p, rows))
				}
				if g.json {
					return printDataJSON(g.stdout, doc)
				}
				if all && len(doc.Pipelines) == 0 {
					fmt.Fprintf(g.stdout, "the state store %s holds no runs yet\n", doc.Store)
					return nil
				}
				return writeStatus(g.stdout, doc.Pipelines)
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "show every pipeline in the state store (no config needed)")
	return cmd
}

// noPipelineFiles reports whether dir is a readable directory that holds
// no pipeline files; a missing or unreadable one is left to the loader's
// diagnostics.
func noPipelineFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && dsl.IsConfigFile(e.Name()) {
			return false
		}
	}
	return true
}

// statusHistory is how many of a pipeline's newest deployments status
// --all reads to find the environments of a pipeline it has no config of.
const statusHistory = 200

// environmentsOf returns the config's environments in declaration order.
func environmentsOf(c *dsl.Config) []string {
	var envs []string
	for _, s := range c.Stages {
		if s.Kind == dsl.KindEnvironment {
			envs = append(envs, s.Name)
		}
	}
	return envs
}

func writeStatus(w io.Writer, pipelines []view.PipelineStatus) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PIPELINE\tENVIRONMENT\tLIVE\tSINCE\tLATEST\tWAITING\tROLLBACK TARGET")
	for _, p := range pipelines {
		if len(p.Environments) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\n", p.Pipeline)
		}
		for _, r := range p.Environments {
			live, since, latest, waiting, target := "-", "-", "-", "-", "-"
			if r.Live != nil {
				live, since = r.Live.Version, fmtWhenPtr(r.Live.FinishedAt)
			}
			if r.Latest != nil {
				latest = r.Latest.Version + " " + r.Latest.Status
			}
			var ws []string
			for _, g := range r.Waiting {
				ws = append(ws, fmt.Sprintf("%s (run %s)", g.Gate, g.RunID))
			}
			for _, g := range r.Expired {
				ws = append(ws, fmt.Sprintf("%s (run %s) expired %s", g.Gate, g.RunID, fmtWhenPtr(g.ExpiresAt)))
			}
			for _, g := range r.Approved {
				ws = append(ws, fmt.Sprintf("%s (run %s) approved, waits for: %s", g.Gate, g.RunID, g.ResumeCommand))
			}
			if len(ws) > 0 {
				waiting = strings.Join(ws, ", ")
			}
			if r.RollbackTarget != "" {
				target = r.RollbackTarget
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Pipeline, r.Environment, live, since, latest, waiting, target)
		}
	}
	return tw.Flush()
}

func fmtWhenPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return fmtWhen(*t)
}

func newAuditCommand(g *globals) *cobra.Command {
	var limit int
	var verify bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the append-only audit trail: approvals, rejections, expiries, rollbacks, lock takeovers",
		Long: `audit shows the append-only audit trail, oldest first: of the pipeline in
the directory, or of every pipeline when there is none.

With --json it prints the document GET /api/audit of pipeline serve answers:
{"events": [{"seq", "at", "actor", "action", "pipeline", "environment",
"run_id", "release", "detail"}]}.

--verify checks every stored approval signature again (the signature over
its payload, namespace pipeline-approval, the recorded key fingerprint, and
that it signs the recorded run and approver), prints one line per signed
event and exits 1 when any fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkLimit(limit); err != nil {
				return err
			}
			return g.withQuery(func(ctx context.Context, eng *engine.Engine) error {
				evs, err := eng.Audit(ctx, g.pipelineName(), limit)
				if err != nil {
					return err
				}
				if verify {
					return verifyAudit(g.stdout, evs)
				}
				if g.json {
					return printDataJSON(g.stdout, view.NewAudit(evs))
				}
				return writeAudit(g.stdout, evs)
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "show the newest `N` events (0: all)")
	cmd.Flags().BoolVar(&verify, "verify", false, "check every stored approval signature again; exit 1 if any fails")
	return cmd
}

// verifyAudit re-checks the signature of every signed event of evs.
func verifyAudit(w io.Writer, evs []*state.AuditEvent) error {
	var checked, bad int
	for _, e := range evs {
		if e.Signature == nil {
			continue
		}
		checked++
		if err := signoff.VerifyStored(e.Signature, e.RunID, e.Environment, e.Actor); err != nil {
			bad++
			fmt.Fprintf(w, "FAILED  seq %d  %s by %s, run %s: %v\n", e.Seq, e.Action, e.Actor, e.RunID, err)
			continue
		}
		fmt.Fprintf(w, "ok      seq %d  %s by %s, run %s, key %s\n", e.Seq, e.Action, e.Actor, e.RunID, e.Signature.Fingerprint)
	}
	fmt.Fprintf(w, "%d signed events checked, %d failed\n", checked, bad)
	if bad > 0 {
		return fmt.Errorf("%d of %d stored approval signatures do not verify", bad, checked)
	}
	return nil
}

func writeAudit(w io.Writer, evs []*state.AuditEvent) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tWHEN\tACTOR\tACTION\tPIPELINE\tENVIRONMENT\tRELEASE\tRUN\tDETAIL")
	for _, e := range evs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, fmtWhen(e.At), e.Actor, e.Action, e.Pipeline, e.Environment, e.Release, e.RunID, e.Detail)
	}
	return tw.Flush()
}
