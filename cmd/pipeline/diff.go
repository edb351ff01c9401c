package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/engine/diff"
)

func newDiffCommand(g *globals) *cobra.Command {
	var base, head, format string
	cmd := &cobra.Command{
		Use:   "diff --base REF [--head REF]",
		Short: "Show what a change does to the delivery process, risks first",
		Long: `diff loads the pipeline at --base and at --head (default: the working tree)
and reports what the change does to the delivery process: stages, steps,
environments and promotion rules added, removed or changed, and, in a
separate section, every change that weakens the process (a gate removed,
approvers widened, prevent_self_approval turned off, branches widened,
requires dropped, a secret newly exposed, an unpinned image).

--format markdown is made to be posted as a pull-request comment as it is.
Exit code 0 when nothing changed, 1 when something did (like git diff
--exit-code), 2 when the config is invalid at either ref.`,
		Example: `  pipeline diff --base origin/main
  pipeline diff --base origin/main --format markdown > comment.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if base == "" {
				return &usageError{fmt.Errorf("--base REF is required: the ref to compare against, e.g. --base origin/main")}
			}
			if g.json {
				format = "json"
			}
			var write func(*diff.Report) error
			switch format {
			case "text":
				write = func(r *diff.Report) error { return r.WriteText(g.stdout) }
			case "markdown", "md":
				write = func(r *diff.Report) error { return r.WriteMarkdown(g.stdout) }
			case "json":
				write = func(r *diff.Report) error { return r.WriteJSON(g.stdout) }
			default:
				return &usageError{fmt.Errorf("unknown --format %q: use text, markdown or json", format)}
			}
			baseRes, err := g.loadConfigAt(base)
			if err != nil {
				return err
			}
			headRes, err := g.loadConfigAt(head)
			if err != nil {
				return err
			}
			rep := diff.Compare(baseRes.Config, headRes.Config)
			rep.Base = base
			rep.Head = head
			if head == "" {
				rep.Head = "working tree"
			}
			if err := write(rep); err != nil {
				return err
			}
			if !rep.Empty() {
				return exitWith(exitFailed)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&base, "base", "", "git `REF` to compare against (required)")
	f.StringVar(&head, "head", "", "git `REF` of the change (default: the working tree)")
	f.StringVar(&format, "format", "text", "output `FORMAT`: text, markdown or json")
	return cmd
}

func init() {
	extraCommands = append(extraCommands, newDiffCommand)
}
