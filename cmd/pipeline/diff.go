package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/engine/diff"
	"github.com/pipeline-cd/pipeline/engine/mask"
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
			var write func(*diff.Report, io.Writer) error
			switch format {
			case "text":
				write = (*diff.Report).WriteText
			case "markdown", "md":
				write = (*diff.Report).WriteMarkdown
			case "json":
				write = (*diff.Report).WriteJSON
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
			// Secret values read with env() are masked, as in plan.
			baseMask, headMask := mask.ForConfig(nil, baseRes.Config), mask.ForConfig(nil, headRes.Config)
			if err := mask.Write(g.stdout, baseMask, func(w io.Writer) error {
				return mask.Write(w, headMask, func(w io.Writer) error { return write(rep, w) })
			}); err != nil {
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
