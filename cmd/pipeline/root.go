package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// globals holds the flags every command accepts.
type globals struct {
	dir      string
	ref      string
	stateURL string
	vars     []string
	varFiles []string
	json     bool
	noColor  bool
	verbose  bool

	// artifacts is --artifacts: the artifact store directory ("" for
	// $PIPELINE_ARTIFACTS, else the default beside the state).
	artifacts string

	diagsPrinted bool

	stdout io.Writer
	stderr io.Writer
	// result is the stdout of a command that runs steps with --json: its
	// human output then goes to stderr (stdout is set to it) and the JSON
	// result here. nil otherwise.
	result io.Writer
	// startedRun is the id of the run the command started or resumed.
	startedRun string
	// varOrder records -var and -var-file in command-line order, since the
	// later one wins (Terraform's precedence).
	varOrder []string
	// dockerDown is why the Docker engine did not answer a command that
	// goes on without it (gc); nil when it answered or was not asked.
	dockerDown error
}

func newRootCommand(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "pipeline",
		Short: "Declarative continuous delivery: plan, run, gate, release, deploy and roll back",
		Long: `pipeline runs a delivery process kept as HCL files in git: it plans a DAG,
runs each step in a container, stops at manual gates, promotes one immutable
release through environments and rolls back in one command.

Exit codes: 0 success, 1 a step or deployment failed, 2 bad usage or invalid
config, 3 stopped at a gate.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version(),
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w\nRun '%s --help' for usage.", err, c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.StringVarP(&g.dir, "dir", "C", ".", "directory holding the pipeline's *.pipeline.hcl files")
	pf.StringVar(&g.ref, "ref", "", "load the config from git at `REF` instead of the working tree")
	pf.StringVar(&g.stateURL, "state", "", "state store: a SQLite path or postgres://... URL (default $PIPELINE_STATE, else .pipeline/state.db at the repository root)")
	pf.StringVar(&g.artifacts, "artifacts", "", "artifact store `DIR`ectory; share one (and the state) between clones or CI runners (default $PIPELINE_ARTIFACTS, else artifacts/ beside the SQLite state, else .pipeline/artifacts at the repository root)")
	pf.Var(&orderedList{dst: &g.vars, order: &g.varOrder, tag: "var"}, "var", "set a variable: `NAME=VALUE` (repeatable)")
	pf.Var(&orderedList{dst: &g.varFiles, order: &g.varOrder, tag: "file"}, "var-file", "read variables from an HCL `FILE` of attributes (repeatable)")
	pf.BoolVar(&g.json, "json", false, "print data as JSON")
	pf.BoolVar(&g.noColor, "no-color", os.Getenv("NO_COLOR") != "", "disable colour in output")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "log what the engine does to stderr")

	root.AddCommand(
		newValidateCommand(g),
		newFmtCommand(g),
		newVersionCommand(g),
	)
	for _, add := range extraCommands {
		root.AddCommand(add(g))
	}
	root.SuggestionsMinimumDistance = 2
	root.Args = unknownCommand
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	usageArgs(root)
	return root
}

// unknownCommand rejects a root invocation with stray arguments (a
// mistyped command) as bad usage, suggesting what the user may have meant.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return &usageError{fmt.Errorf("%s\nRun '%s --help' for usage.", msg, cmd.CommandPath())}
}

// usageArgs makes every argument-count error of the command tree bad usage
// (exit 2), the same as a flag error.
func usageArgs(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				var u *usageError
				if errors.As(err, &u) {
					return err
				}
				return &usageError{fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

// extraCommands lets each command file register itself.
var extraCommands []func(*globals) *cobra.Command

// orderedList is a repeatable string flag that also records the order in
// which it and its siblings appeared.
type orderedList struct {
	dst   *[]string
	order *[]string
	tag   string
}

func (o *orderedList) String() string { return strings.Join(*o.dst, ",") }
func (o *orderedList) Type() string   { return "stringArray" }
func (o *orderedList) Set(v string) error {
	*o.dst = append(*o.dst, v)
	*o.order = append(*o.order, o.tag+"\x00"+v)
	return nil
}

// normalizeArgs accepts the single-dash long flags that HashiCorp tools use
// (-var, -var-file, -check, -diff) by rewriting them to their double-dash
// form when a command in the tree defines a long flag of that name.
func normalizeArgs(root *cobra.Command, args []string) []string {
	names := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) { names[f.Name] = true }
		c.LocalFlags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if len(name) > 1 && names[name] {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}
