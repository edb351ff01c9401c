package golden

import (
	"fmt"
	"os"
	"path/filepath"
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

func ptr(s string) *string { return &s }
