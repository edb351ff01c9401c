package golden

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing the
// test that runs Check.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, "fatal: "+fmt.Sprintf(format, args...))
}

// setUpdate sets -update for the duration of t.
func setUpdate(t *testing.T, v bool) {
	old := *Update
	*Update = v
	t.Cleanup(func() { *Update = old })
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name       string
		file       *string // nil: no golden file
		got        string
		update     bool
		wantErrors []string // substrings of the one reported error; nil: none
		wantFile   *string  // nil: no file afterwards
	}{
		{name: "equal", file: ptr("a\nb\n"), got: "a\nb\n", wantFile: ptr("a\nb\n")},
		{name: "differs", file: ptr("a\nb\nc\n"), got: "a\nB\nc\n",
			wantErrors: []string{"differs from the golden file (-want +got)", `"b\n"`, `"B\n"`, "go test ./internal/golden -run '^TestCheck$' -update"},
			wantFile:   ptr("a\nb\nc\n")},
		{name: "missing", got: "x\n", wantErrors: []string{"does not exist", "-update"}},
		{name: "update rewrites", file: ptr("old\n"), got: "new\n", update: true, wantFile: ptr("new\n")},
		{name: "update creates", got: "new\n", update: true, wantFile: ptr("new\n")},
		{name: "update keeps equal", file: ptr("same\n"), got: "same\n", update: true, wantFile: ptr("same\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setUpdate(t, tt.update)
			path := filepath.Join(t.TempDir(), "sub", "x.golden")
			if tt.file != nil {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(*tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := &recorder{TB: t}
			Check(r, path, []byte(tt.got))
			switch {
			case tt.wantErrors == nil && len(r.errors) > 0:
				t.Errorf("Check(%q) reported %q; want no error", tt.got, r.errors)
			case tt.wantErrors != nil && len(r.errors) != 1:
				t.Errorf("Check(%q) reported %d errors %q; want 1", tt.got, len(r.errors), r.errors)
			case tt.wantErrors != nil:
				for _, s := range tt.wantErrors {
					if !strings.Contains(r.errors[0], s) {
						t.Errorf("Check(%q) error = %q; want it to contain %q", tt.got, r.errors[0], s)
					}
				}
			}
			b, err := os.ReadFile(path)
			switch {
			case tt.wantFile == nil && err == nil:
				t.Errorf("after Check(%q) the golden file holds %q; want no file", tt.got, b)
			case tt.wantFile != nil && (err != nil || string(b) != *tt.wantFile):
				t.Errorf("after Check(%q) the golden file holds %q, %v; want %q", tt.got, b, err, *tt.wantFile)
			}
		})
	}
}

func TestPackageDir(t *testing.T) {
	if got, want := packageDir(), "internal/golden"; got != want {
		t.Errorf("packageDir() = %q; want %q", got, want)
	}
}

// localFlag matches a test file defining its own -update flag.
var localFlag = regexp.MustCompile(`flag\.[A-Za-z]+\(\s*"update"`)

// TestEveryTestPackageAcceptsUpdate walks the module and requires every
// directory with test files to import this package from one of them, and
// none to define -update itself: otherwise go test ./... -update fails for
// that package ("flag provided but not defined" or "flag redefined").
func TestEveryTestPackageAcceptsUpdate(t *testing.T) {
	const self = "github.com/pipeline-cd/pipeline/internal/golden"
	root := filepath.Join("..", "..")
	imports := map[string]bool{} // directory -> a test file imports self
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
				return filepath.SkipDir // another module: not part of ./...
			}
			return nil
		}
		if !strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if localFlag.Match(src) {
			t.Errorf("%s defines its own -update flag; use golden.Update instead", path)
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		imports[dir] = imports[dir] || filepath.Base(dir) == "golden" && filepath.Base(filepath.Dir(dir)) == "internal"
		for _, im := range f.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); p == self {
				imports[dir] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking the module: %v", err)
	}
	if len(imports) < 2 {
		t.Fatalf("found test files in %d directories; want the whole module", len(imports))
	}
	for dir, ok := range imports {
		if !ok {
			t.Errorf("no test file in %s imports %s, so go test ./... -update fails there; add a blank import to one of them", dir, self)
		}
	}
}

func ptr(s string) *string { return &s }
