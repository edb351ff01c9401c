package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/history"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
)

// historyCommits is how many commits history shows per deployment unless
// --commits says otherwise.
const historyCommits = 10

func newHistoryCommand(g *globals) *cobra.Command {
	var env, at, commits string
	var limit int
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Show the deployment history: version, when, status, approver and commits; or what was live at a moment",
		Long: `history lists the pipeline's deployments, newest first, with the commits
each carried, and the version pipeline rollback ENV would deploy.

The commits of a deployment are those of this component since the previous
successful deployment to the environment: the commits that change a file in
the pipeline's directory, or below one of the paths its pipeline block
declares (paths = [...]). A first deployment to an environment has nothing
to compare with: it lists the component's newest commits, at most 20, and
says so. history shows at most 10 commits per deployment and how many more
there are; --commits N shows N, --commits all every one.

--at TIME (with --env) answers which release was live in the environment at
that moment, since when and until when, the release live before it, and the
component's commits it carried compared with that one (and, after a
rollback, the commits it went back on). TIME is RFC 3339
(2026-12-04T10:30:00Z), "2026-12-04 10:30" (UTC), a date, "now" or a time
before now such as "2h ago", "90m ago" or "3d ago".

With --json it prints the document GET /api/history?pipeline=NAME of
pipeline serve answers: {"deployments": [{"id", "pipeline", "environment",
"release_id", "version", "run_id", "kind", "status", "reason",
"approved_by", "commits": [{"sha", "author", "subject"}], "started_at",
"finished_at"}], "rollback_targets": [{"pipeline", "environment",
"version"}]}; with --at: {"pipeline", "environment", "at", "live":
{"version", "release_id", "commit", "deployment_id", "run_id", "kind",
"since", "until"}, "previous": (the same, or null), "added": [commits],
"removed": [commits]}, the document GET /api/history/at?pipeline=NAME&env=ENV&at=TIME
answers (the server has no repository: its commits are those recorded with
the deployment, and removed is []).`,
		Example: `  pipeline history --env production
  pipeline history --env production --commits all
  pipeline history --env production --at "2h ago"
  pipeline history --env production --at 2026-12-04T10:30:00Z --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkLimit(limit); err != nil {
				return err
			}
			shown, err := parseCommitsFlag(commits)
			if err != nil {
				return err
			}
			var when time.Time
			if at != "" {
				if env == "" {
					return &usageError{fmt.Errorf("--at needs --env ENV: name the environment to ask about, for example pipeline history --env production --at %q", at)}
				}
				if when, err = history.ParseTime(at, time.Now()); err != nil {
					return &usageError{fmt.Errorf("--at %w", err)}
				}
			}
			res, err := g.loadConfig()
			if err != nil {
				return err
			}
			if env != "" {
				if err := engine.CheckEnvironment(res.Config, env); err != nil {
					return err
				}
			}
			name := res.Config.Pipeline.Name
			return g.withQuery(func(ctx context.Context, eng *engine.Engine) error {
				if at != "" {
					r, err := eng.LiveAt(ctx, name, env, when, componentGit(res))
					if err != nil {
						return err
					}
					if g.json {
						return printDataJSON(g.stdout, view.NewLiveAt(name, r))
					}
					return writeLiveAt(g.stdout, r, shown)
				}
				h, err := eng.History(ctx, name, env, limit)
				if err != nil {
					return err
				}
				if g.json {
					return printDataJSON(g.stdout, view.NewHistory(h.Deployments, view.NewRollbackTargets(name, h.RollbackTargets)))
				}
				return writeHistory(g.stdout, h, shown)
			})
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "only this `ENV`ironment")
	cmd.Flags().IntVar(&limit, "limit", 50, "show at most `N` deployments (0: all)")
	cmd.Flags().StringVar(&commits, "commits", strconv.Itoa(historyCommits), "show at most `N` commits per deployment, or all")
	cmd.Flags().StringVar(&at, "at", "", "show the release live in --env at `TIME` (RFC 3339, \"2026-12-04 10:30\" UTC, \"2h ago\")")
	return cmd
}

// parseCommitsFlag reads --commits: a count > 0, or "all" (0).
func parseCommitsFlag(s string) (int, error) {
	if s == "all" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, &usageError{fmt.Errorf("--commits %q is not a count; pass N > 0 or all", s)}
	}
	return n, nil
}

// componentGit says where the component's commits are: the repository and
// the component's paths; zero outside git.
func componentGit(res *loader.Result) history.Git {
	if res.RepoRoot == "" {
		return history.Git{}
	}
	return history.Git{Root: res.RepoRoot, Paths: history.Paths(res.Component, res.Config.Pipeline.Paths)}
}

func writeHistory(w io.Writer, h *engine.History, shown int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVIRONMENT\tVERSION\tKIND\tSTATUS\tSTARTED\tAPPROVED BY\tCOMMITS")
	for _, d := range h.Deployments {
		by := strings.Join(d.ApprovedBy, ", ")
		if by == "" {
			by = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", d.Environment, d.Version, d.Kind, d.Status, fmtWhen(d.StartedAt), by, len(d.Commits))
		if h.Firsts[d.ID] && len(d.Commits) > 0 {
			fmt.Fprintf(tw, "\t\t\t\t\t\t  first deployment to %s: the component's newest commits, at most %d\n", d.Environment, history.FirstLimit)
		}
		writeCommits(tw, "\t\t\t\t\t\t  ", d.Commits, shown)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, env := range sortedStringKeys(h.RollbackTargets) {
		fmt.Fprintf(w, "rollback target of %s: %s\n", env, h.RollbackTargets[env])
	}
	return nil
}

// writeCommits writes at most shown commits (0: all) and how many more
// there are.
func writeCommits(w io.Writer, indent string, cs []state.Commit, shown int) {
	for i, c := range cs {
		if shown > 0 && i == shown {
			fmt.Fprintf(w, "%s... and %d more (--commits all shows every one)\n", indent, len(cs)-shown)
			return
		}
		fmt.Fprintf(w, "%s%.10s %s (%s)\n", indent, c.SHA, c.Subject, c.Author)
	}
}

func writeLiveAt(w io.Writer, r *history.Report, shown int) error {
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	l := r.Live
	fmt.Fprintf(w, "at %s, %s ran release %s (commit %.12s)\n", stamp(r.At), r.Environment, l.Version, l.Commit)
	fmt.Fprintf(w, "  live since %s (%s deployment by run %s)\n", stamp(l.Since), l.Kind, l.RunID)
	if l.Until.IsZero() {
		fmt.Fprintln(w, "  still live")
	} else {
		fmt.Fprintf(w, "  live until %s\n", stamp(l.Until))
	}
	if r.Previous == nil {
		fmt.Fprintf(w, "  first release live in %s; its component's newest commits (at most %d): %d\n", r.Environment, history.FirstLimit, len(r.Added))
		writeCommits(w, "    ", r.Added, shown)
		return nil
	}
	p := r.Previous
	fmt.Fprintf(w, "  before it: release %s (commit %.12s), live since %s\n", p.Version, p.Commit, stamp(p.Since))
	fmt.Fprintf(w, "  commits in %s and not in %s: %d\n", l.Version, p.Version, len(r.Added))
	writeCommits(w, "    ", r.Added, shown)
	if len(r.Removed) > 0 {
		fmt.Fprintf(w, "  commits in %s and not in %s (gone back on): %d\n", p.Version, l.Version, len(r.Removed))
		writeCommits(w, "    ", r.Removed, shown)
	}
	return nil
}
