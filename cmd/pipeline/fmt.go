package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/dsl/confine"
	"github.com/pipeline-cd/pipeline/dsl/format"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
)

func newFmtCommand(g *globals) *cobra.Command {
	var check, diff, recursive bool
	cmd := &cobra.Command{
		Use:   "fmt [PATH...]",
		Short: "Rewrite pipeline files in canonical format",
		Long: `fmt rewrites *.pipeline.hcl and pipeline.hcl files in the canonical HCL
format. A PATH may be a file or a directory; no PATH means the current
directory.

With -check nothing is written: the command lists the files that would change
and exits 3 if there are any, for CI. -diff prints what would change.
A file with syntax errors is never rewritten; its errors are printed and the
command exits 2.`,
		Example: `  pipeline fmt
  pipeline fmt -check -diff -recursive .`,
		RunE: func(cmd *cobra.Command, args []string) error {
			paths, err := format.Paths(args, recursive)
			if err != nil {
				return &usageError{err}
			}
			changed, invalid := 0, false
			for _, path := range paths {
				src, real, err := readConfined(path)
				if err != nil {
					// A link out of the repository, a FIFO or a device is
					// neither read nor written.
					fmt.Fprintf(g.stderr, "Error: %s is not formatted: %v\n", path, err)
					invalid = true
					continue
				}
				out, diags := format.Source(src, path)
				if diags.HasErrors() {
					invalid = true
					if werr := g.writeDiagnostics(nil, diags); werr != nil {
						return werr
					}
					continue
				}
				if bytes.Equal(src, out) {
					continue
				}
				changed++
				fmt.Fprintln(g.stdout, path)
				if diff {
					fmt.Fprint(g.stdout, format.UnifiedDiff(path, src, out))
				}
				if !check {
					if err := writeFileKeepMode(real, out); err != nil {
						return err
					}
				}
			}
			switch {
			case invalid:
				return exitWith(exitUsage)
			case check && changed > 0:
				verb := "are"
				if changed == 1 {
					verb = "is"
				}
				fmt.Fprintf(g.stderr, "%s %s not in canonical format; run 'pipeline fmt' to fix them.\n", plural(changed, "file"), verb)
				return exitWith(exitStopped)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&check, "check", false, "write nothing; exit 3 if any file is not formatted")
	f.BoolVar(&diff, "diff", false, "print a diff of the changes")
	f.BoolVar(&recursive, "recursive", false, "also format files in sub-directories")
	return cmd
}

func writeFileKeepMode(path string, data []byte) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, st.Mode().Perm()); err != nil {
		return errors.Join(fmt.Errorf("writing %s", path), err)
	}
	return nil
}

// readConfined reads the pipeline file path through a confine.Root at the
// repository holding it (its directory outside git), so that a committed
// link to a host file is neither shown nor overwritten and a FIFO does not
// block; it returns the contents and the file's real path.
func readConfined(path string) ([]byte, string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, "", err
	}
	top := filepath.Dir(abs)
	if root, err := gitsrc.RepoRoot(top); err == nil {
		top = root
	}
	r, err := confine.Open(top)
	if err != nil {
		return nil, "", err
	}
	defer r.Close()
	b, err := r.ReadFile(abs, confine.MaxConfigSize)
	if err != nil {
		return nil, "", err
	}
	rel, err := r.Rel(abs)
	if err != nil {
		return nil, "", err
	}
	return b, filepath.Join(r.Dir(), filepath.FromSlash(rel)), nil
}
