package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/plan"
)

// selection holds the flags that select part of the pipeline.
type selection struct {
	only  []string
	skip  []string
	until string
	// allowPrivileged is plan's and graph's --allow-privileged; commands
	// that run steps take it from runnerFlags.
	allowPrivileged bool
	// trustedRef is plan's and graph's --trusted-ref; commands that run
	// steps take it from runnerFlags.
	trustedRef string
}

func (s *selection) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVar(&s.only, "only", nil, "plan only these `STAGE`s (e.g. test.unit) and what they need")
	f.StringSliceVar(&s.skip, "skip", nil, "leave these `STAGE`s out")
	f.StringVar(&s.until, "until", "", "stop after this `ENV`ironment")
}

// addPrivilegeFlag adds --allow-privileged to plan and graph, so that a
// reviewer can see the plan of a config whose steps ask for privileged
// mode, host mounts or the Docker socket.
func (s *selection) addPrivilegeFlag(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&s.allowPrivileged, "allow-privileged", false,
		"plan steps that ask for privileged mode, host mounts or the Docker socket (refused otherwise)")
	cmd.Flags().StringVar(&s.trustedRef, "trusted-ref", "",
		"git ref to read protection rules (gates, branches, requires) from, as run does (default: the repository's default branch)")
}

// buildPlan loads the config and plans it as a run would (engine.Plan):
// the protection rules of the trusted ref applied. A bad selection is a
// usage error. The masker hides the values of the config's secrets that
// are set in the environment (a step may read one with env()): every
// rendering of the plan goes through it.
func (g *globals) buildPlan(sel *selection) (*engine.PlanResult, *mask.Masker, error) {
	res, err := g.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	eng := engine.New(engine.Options{Logger: g.logger(), AllowPrivileged: sel.allowPrivileged})
	out, err := eng.Plan(engine.RunRequest{Config: res, Vars: varArgsOf(g), Only: sel.only, Skip: sel.skip,
		Until: sel.until, TrustedRef: sel.trustedRef})
	if err != nil {
		return nil, nil, planError(g.renderEngineError(err))
	}
	return out, mask.ForConfig(nil, res.Config), nil
}

// writeRules says where the protection rules of a plan or dry run come
// from, their warnings and the environments a run would refuse: the same
// rules and words as a run.
func writeRules(w io.Writer, trustedRef string, warnings []string, refused map[string]string) {
	if trustedRef != "" {
		fmt.Fprintf(w, "protection rules (gates, branches, requires) from the trusted ref %s, as a run applies them\n", trustedRef)
	} else {
		fmt.Fprintln(w, "protection rules (gates, branches, requires) from this config: it is not in a git repository")
	}
	for _, wn := range warnings {
		fmt.Fprintf(w, "Warning: %s\n", wn)
	}
	envs := make([]string, 0, len(refused))
	for env := range refused {
		envs = append(envs, env)
	}
	sort.Strings(envs)
	for _, env := range envs {
		fmt.Fprintf(w, "a run would refuse environment %s: %s\n", env, strings.TrimPrefix(refused[env], "environment "+env+" is refused: "))
	}
}

// planError marks a planning error (a bad selection, a cycle) as bad usage
// unless it carries its own exit code.
func planError(err error) error {
	var c coder
	if errors.As(err, &c) {
		return err
	}
	return &usageError{err}
}

func newPlanCommand(g *globals) *cobra.Command {
	var sel selection
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what a run would do, in waves of parallel steps",
		Long: `plan loads and validates the pipeline and prints the steps in the order they
would run, grouped in waves of steps that can run in parallel, with each
step's image, command, timeout, retries and condition, and the gates and
promotion rules on the way to each environment. Values known only at run
time print as "(known after ...)". It runs nothing and records nothing.

The protection rules (gates, branches, requires) are those of the config
at --trusted-ref, applied exactly as pipeline run applies them, with the
same warnings; plan then names the environments a run would refuse and why
(with --json, these lines go to stderr).`,
		Example: `  pipeline plan
  pipeline plan --only test.unit
  pipeline plan --until beta --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, m, err := g.buildPlan(&sel)
			if err != nil {
				return err
			}
			if out.NotStarting != nil {
				out.Warnings = append(out.Warnings, out.NotStarting.Error())
			}
			if g.json {
				writeRules(g.stderr, out.TrustedRef, out.Warnings, out.Refused)
				return mask.Write(g.stdout, m, out.Plan.WriteJSON)
			}
			if err := mask.Write(g.stdout, m, out.Plan.WriteText); err != nil {
				return err
			}
			return mask.Write(g.stdout, m, func(w io.Writer) error {
				writeRules(w, out.TrustedRef, out.Warnings, out.Refused)
				return nil
			})
		},
	}
	sel.addFlags(cmd)
	sel.addPrivilegeFlag(cmd)
	return cmd
}

func newGraphCommand(g *globals) *cobra.Command {
	var sel selection
	var format string
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Print the pipeline's DAG for Graphviz (dot) or Mermaid",
		Long: `graph prints the planned DAG: steps, gates, the release point and each
environment's deployment. --format mermaid renders inline in GitHub and
GitLab comments; --format dot is for Graphviz (pipeline graph | dot -Tsvg).`,
		Example: `  pipeline graph --format mermaid
  pipeline graph --format dot | dot -Tsvg > pipeline.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var write func(*plan.Plan, io.Writer) error
			switch format {
			case "dot":
				write = (*plan.Plan).WriteDOT
			case "mermaid":
				write = (*plan.Plan).WriteMermaid
			default:
				return &usageError{fmt.Errorf("unknown --format %q: use dot or mermaid", format)}
			}
			out, m, err := g.buildPlan(&sel)
			if err != nil {
				return err
			}
			return mask.Write(g.stdout, m, func(w io.Writer) error { return write(out.Plan, w) })
		},
	}
	sel.addFlags(cmd)
	sel.addPrivilegeFlag(cmd)
	cmd.Flags().StringVar(&format, "format", "dot", "output `FORMAT`: dot or mermaid")
	return cmd
}

func init() {
	extraCommands = append(extraCommands, newPlanCommand, newGraphCommand)
}
