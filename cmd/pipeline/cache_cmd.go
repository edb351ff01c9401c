package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/engine/cache"
)

func init() {
	extraCommands = append(extraCommands, newCacheCommand)
}

func newCacheCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "List and remove step caches and reusable step results",
		Long: `cache lists (ls) and removes (prune) what makes later runs fast:

  result  a successful step that declares inputs, reused by a later run with
          the same key; its output files are in the artifact store's
          step-outputs folder
  volume  a tool cache of Docker steps (caches = [...]): a named Docker
          volume per pipeline and path, labelled dev.pipeline.cache=true
  dir     the tool caches of host steps (runner = "local"): the directory
          .pipeline/cache/PIPELINE at the repository root

Both work on the pipeline of -C DIR, or on every pipeline with --all.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCacheLsCommand(g), newCachePruneCommand(g))
	return cmd
}

// withCache opens the store and, when it answers, the Docker engine, and
// calls fn with the cache admin and the pipeline to work on.
func (g *globals) withCache(all bool, fn func(ctx context.Context, a *cache.Admin, pipeline string) error) error {
	ctx := context.Background()
	rf := runnerFlags{runner: "docker"}
	eng, closeAll, err := g.openEngine(ctx, wiring{flags: &rf, existing: true, dockerOptional: true})
	if err != nil {
		return err
	}
	defer closeAll()
	pipeline, root := "", ""
	if res, ok := g.quietConfig(); ok {
		root = res.RepoRoot
		if root == "" {
			root = res.AbsDir
		}
		if !all {
			pipeline = res.Config.Pipeline.Name
		}
	} else if !all {
		return &usageError{fmt.Errorf("no pipeline config in %s: pass -C DIR with the pipeline's files, or --all for the caches of every pipeline", g.dir)}
	}
	return fn(ctx, eng.CacheAdmin(root), pipeline)
}

func newCacheLsCommand(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List step caches and reusable step results with their sizes and last use",
		Long: `ls lists the reusable step results, cache volumes and host cache directories
with their size and last use. A volume no run of this state store used shows
"-" as last use.

With --json it prints {"caches": [{"kind", "pipeline", "name", "id", "size",
"last_used", "run"}]}; size is -1 when not known, last_used RFC 3339 or null.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withCache(all, func(ctx context.Context, a *cache.Admin, pipeline string) error {
				entries, err := a.List(ctx, pipeline)
				if err != nil {
					return err
				}
				if g.json {
					return printDataJSON(g.stdout, cacheJSON(entries))
				}
				if len(entries) == 0 {
					fmt.Fprintln(g.stdout, "no caches")
					return nil
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "KIND\tPIPELINE\tNAME\tSIZE\tLAST USED\tFROM")
				var total int64
				for _, e := range entries {
					size := "-"
					if e.Size >= 0 {
						size = humanize.IBytes(uint64(e.Size))
						total += e.Size
					}
					from := e.RunID
					if e.Kind == cache.KindVolume {
						from = e.ID
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Kind, e.Pipeline, e.Name, size, fmtWhen(e.LastUsed), from)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "%s, %s\n", plural(len(entries), "cache"), humanize.IBytes(uint64(total)))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "list the caches of every pipeline")
	return cmd
}

type cacheEntryJSON struct {
	Kind     string     `json:"kind"`
	Pipeline string     `json:"pipeline"`
	Name     string     `json:"name"`
	ID       string     `json:"id"`
	Size     int64      `json:"size"`
	LastUsed *time.Time `json:"last_used"`
	Run      string     `json:"run,omitempty"`
}

func cacheJSON(entries []cache.Entry) any {
	out := make([]cacheEntryJSON, 0, len(entries))
	for _, e := range entries {
		j := cacheEntryJSON{Kind: e.Kind, Pipeline: e.Pipeline, Name: e.Name, ID: e.ID, Size: e.Size, Run: e.RunID}
		if !e.LastUsed.IsZero() {
			t := e.LastUsed.UTC()
			j.LastUsed = &t
		}
		out = append(out, j)
	}
	return map[string]any{"caches": out}
}

func newCachePruneCommand(g *globals) *cobra.Command {
	var all bool
	var olderThan string
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove step caches and reusable step results",
		Long: `prune removes the reusable step results, cache volumes and host cache
directories of the pipeline (every pipeline with --all); with --older-than D
only those last used more than D ago (a volume no run of this store used is
then kept). Output files no remaining result refers to are removed from the
artifact store's step-outputs folder. A volume a container still uses is kept
and reported (exit 1).

Exit codes: 0 pruned; 1 something could not be removed; 2 bad usage or no
state store.`,
		Example: `  pipeline cache prune --older-than 7d
  pipeline cache prune --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var before time.Time
			if olderThan != "" {
				d, err := parseAge(olderThan)
				if err != nil {
					return &usageError{err}
				}
				before = time.Now().Add(-d)
			}
			return g.withCache(all, func(ctx context.Context, a *cache.Admin, pipeline string) error {
				res, err := a.Prune(ctx, pipeline, before)
				if res != nil {
					if g.json {
						if jerr := printDataJSON(g.stdout, res); jerr != nil {
							return jerr
						}
					} else {
						fmt.Fprintf(g.stdout, "removed %s, %s, %s and %s; freed %s\n",
							plural(res.Results, "step result"), plural(res.Blobs, "output file"),
							plural(res.Volumes, "cache volume"), plural(res.Dirs, "host cache dir"),
							humanize.IBytes(uint64(res.Bytes)))
					}
				}
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "prune the caches of every pipeline")
	cmd.Flags().StringVar(&olderThan, "older-than", "", "only what was last used more than `D` ago (Go durations like 36h, or days like 7d)")
	return cmd
}

// parseAge parses a Go duration or a number of days ("7d").
func parseAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err == nil && days >= 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("--older-than %q: give a duration such as 36h or 7d", s)
	}
	return d, nil
}
