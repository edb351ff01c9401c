package main

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/dsl/loader"
)

func newValidateCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check the pipeline's config and report every problem",
		Long: `validate loads every *.pipeline.hcl and pipeline.hcl file of the pipeline
directory (or of git at --ref) and reports every problem at once, each with
its file, line and column, a snippet and how to fix it. It runs nothing.

Exit code 0 when the config is valid, 2 when it has errors.`,
		Example: `  pipeline validate
  pipeline validate -C services/api --ref origin/main
  pipeline validate --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := g.loadConfig()
			if err != nil {
				return err
			}
			if g.json {
				if g.diagsPrinted {
					return nil // the warnings went out as JSON already
				}
				return writeDiagnosticsJSON(g.stdout, hcl.Diagnostics{})
			}
			c := res.Config
			_, err = fmt.Fprintf(g.stdout, "The pipeline %q in %s is valid: %d files, %d stages, %d steps.\n",
				c.Pipeline.Name, g.dir, len(c.Source.Files), len(c.Stages), countSteps(res))
			return err
		},
	}
}

func countSteps(res *loader.Result) int {
	n := 0
	for _, s := range res.Config.Stages {
		n += len(s.Steps)
	}
	return n
}
