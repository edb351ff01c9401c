// Package golden is the test support shared by every golden-file test of the
// module, and the single owner of the -update flag.
//
// `go test ./... -update` must regenerate every golden file. The go command
// passes -update to every test binary, and a binary that does not define the
// flag exits with "flag provided but not defined: -update". So every package
// with test files links this package, which registers the flag once per test
// binary: packages with golden files through their use of Check, the others
// through a blank import in one of their test files. No test file may define
// its own "update" flag: a second registration panics at start-up.
//
// Only test files may import this package.
package golden

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Update reports whether the test binary was started with -update: golden
// tests then rewrite their golden files with what they produce instead of
// comparing against them.
var Update = flag.Bool("update", false, "rewrite golden files")

// Check compares got with the contents of the golden file at path (relative
// to the package directory, where go test runs tests).
//
// Without -update, a missing file or a difference is reported with t.Errorf,
// the difference as a diff of the quoted lines (-want +got), together with the go test
// command that rewrites the file; the test goes on. With -update, the file is
// written with got (creating its directory) unless it already holds exactly
// got, in which case it is left untouched.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(path)
	if err == nil && bytes.Equal(want, got) {
		return
	}
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("golden: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Errorf("golden file %s does not exist; create it with: %s", path, rerun(t))
		return
	}
	if err != nil {
		t.Errorf("golden: reading %s: %v", path, err)
		return
	}
	t.Errorf("%s differs from the golden file (-want +got):\n%s\nIf the change is intended, rewrite it with: %s",
		path, lineDiff(want, got), rerun(t))
}

// lineDiff is the difference between want and got line by line, each line
// quoted so that changes of white space and of the final newline show.
func lineDiff(want, got []byte) string {
	return cmp.Diff(strings.SplitAfter(string(want), "\n"), strings.SplitAfter(string(got), "\n"))
}

// rerun is the go test command that regenerates the golden files of t's
// top-level test, run from the module root.
func rerun(t testing.TB) string {
	top, _, _ := strings.Cut(t.Name(), "/")
	dir := packageDir()
	if dir != "." {
		dir = "./" + dir
	}
	return "go test " + dir + " -run '^" + top + "$' -update"
}

// packageDir is the directory of the package under test relative to the
// module root (the nearest parent holding go.mod), with forward slashes;
// "." when it cannot be determined.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return filepath.ToSlash(rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}
