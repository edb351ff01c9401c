// Package format puts pipeline configuration files into canonical form, the
// way `pipeline fmt` does, and finds the files a `pipeline fmt` argument
// names.
package format

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pmezard/go-difflib/difflib"
)

// Source returns src in canonical form: hclwrite.Format's indentation and
// alignment, Unix line endings, and exactly one newline at the end of a
// non-empty file. Formatting is idempotent.
//
// src is first parsed; a file with syntax errors is not rewritten: Source
// returns src itself, unchanged, with the diagnostics (which name filename).
func Source(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	if d := dsl.NestingProblem(src, filename); d != nil {
		// The parser would exhaust its stack.
		return src, hcl.Diagnostics{d}
	}
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); diags.HasErrors() {
		return src, diags
	}
	out := bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	out = hclwrite.Format(out)
	out = bytes.TrimRight(out, " \t\n")
	if len(out) > 0 {
		out = append(out, '\n')
	}
	return out, nil
}

// skipDirs are the directories a recursive expansion never enters.
var skipDirs = map[string]bool{".git": true, ".pipeline": true}

// Paths expands `pipeline fmt` arguments into the files to format. A directory
// means its pipeline.hcl and *.pipeline.hcl files (dsl.IsConfigFile), and with recursive those of
// every sub-directory too, except .git and .pipeline directories; a file means
// itself, whatever its name. No arguments means ".". The result is sorted and
// has no duplicates. A missing argument is an error wrapping fs.ErrNotExist.
func Paths(args []string, recursive bool) ([]string, error) {
	if len(args) == 0 {
		args = []string{"."}
	}
	seen := map[string]bool{}
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("fmt: %w", err)
		}
		if !info.IsDir() {
			seen[filepath.Clean(arg)] = true
			continue
		}
		err = filepath.WalkDir(arg, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != arg && (!recursive || skipDirs[d.Name()]) {
					return filepath.SkipDir
				}
				return nil
			}
			if dsl.IsConfigFile(d.Name()) && d.Type().IsRegular() {
				seen[p] = true
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("fmt: listing %s: %w", arg, err)
		}
	}
	paths := make([]string, 0, len(seen))
	for p := range seen {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths, nil
}

// UnifiedDiff returns a unified diff (three lines of context) from a to b,
// with headers naming name as a/NAME and b/NAME, or "" when a and b are
// equal. A missing final newline is shown as in diff(1).
func UnifiedDiff(name string, a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A:        splitLines(a),
		B:        splitLines(b),
		FromFile: "a/" + filepath.ToSlash(name),
		ToFile:   "b/" + filepath.ToSlash(name),
		Context:  3,
	})
	if err != nil { // only a failing writer errors, and a strings.Builder never fails
		return ""
	}
	return text
}

// splitLines splits s into lines that keep their "\n"; a last line without
// one gets the "\ No newline at end of file" marker of diff(1).
func splitLines(s []byte) []string {
	if len(s) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(s), "\n")
	if last := lines[len(lines)-1]; last == "" {
		lines = lines[:len(lines)-1]
	} else {
		lines[len(lines)-1] = last + "\n\\ No newline at end of file\n"
	}
	return lines
}
