package format

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/golden"
)

// TestSourceGolden formats every testdata/*.in file and compares the result
// with testdata/*.golden.
func TestSourceGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.in"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata/*.in files: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, diags := Source(src, in)
			if diags.HasErrors() {
				t.Fatalf("Source(%q) diagnostics: %v", in, diags)
			}
			golden.Check(t, strings.TrimSuffix(in, ".in")+".golden", got)
			again, diags := Source(got, in)
			if diags.HasErrors() || !bytes.Equal(again, got) {
				t.Errorf("Source(Source(%q)) is not stable:\n%s", in, UnifiedDiff(name, got, again))
			}
			if bytes.Contains(got, []byte("\r")) {
				t.Errorf("Source(%q) kept a carriage return", in)
			}
		})
	}
}

func TestSourceSyntaxError(t *testing.T) {
	tests := []struct {
		name, src string
		wantLine  int
	}{
		{"unclosed block", "test \"unit\" {\n  step \"a\" {\n    run = \"x\"\n", 3},
		{"missing value", "pipeline \"p\" {\n  image =\n}\n", 3},
		{"bad token", "pipeline \"p\" {\n  image = \"a\" ^\n}\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := Source([]byte(tt.src), "broken.pipeline.hcl")
			if !diags.HasErrors() {
				t.Fatalf("Source(%q) diagnostics = none; want a syntax error", tt.src)
			}
			if string(got) != tt.src {
				t.Errorf("Source(%q) = %q; want the input unchanged", tt.src, got)
			}
			d := diags[0]
			if d.Subject == nil || d.Subject.Filename != "broken.pipeline.hcl" || d.Subject.Start.Line < tt.wantLine-1 {
				t.Errorf("Source(%q) diagnostic %v at %v; want broken.pipeline.hcl near line %d", tt.src, d, d.Subject, tt.wantLine)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"pipeline.hcl", "b.pipeline.hcl", "notes.hcl", "README.md",
		"sub/c.pipeline.hcl", "sub/deeper/pipeline.hcl",
		".git/x.pipeline.hcl", ".pipeline/y.pipeline.hcl", "sub/.git/z.pipeline.hcl",
		".pipeline.hcl", "sub/.draft.pipeline.hcl", // hidden: not pipeline files
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	j := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, filepath.FromSlash(n)))
		}
		return out
	}
	tests := []struct {
		name      string
		args      []string
		recursive bool
		want      []string
	}{
		{"directory", j(""), false, j("b.pipeline.hcl", "pipeline.hcl")},
		{"recursive", j(""), true, j("b.pipeline.hcl", "pipeline.hcl", "sub/c.pipeline.hcl", "sub/deeper/pipeline.hcl")},
		{"file of any name", j("notes.hcl"), false, j("notes.hcl")},
		{"duplicates", j("sub", "sub/c.pipeline.hcl", "pipeline.hcl"), false, j("pipeline.hcl", "sub/c.pipeline.hcl")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Paths(tt.args, tt.recursive)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Paths(%q, %v) = %q, %v; want %q", tt.args, tt.recursive, got, err, tt.want)
			}
		})
	}

	t.Run("no arguments", func(t *testing.T) {
		t.Chdir(filepath.Join(dir, "sub"))
		got, err := Paths(nil, false)
		if want := []string{"c.pipeline.hcl"}; err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Paths(nil, false) = %q, %v; want %q", got, err, want)
		}
	})
	t.Run("missing", func(t *testing.T) {
		_, err := Paths(j("nope"), false)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Paths(nope) error = %v; want fs.ErrNotExist", err)
		}
	})
}

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "x\n", "x\n", ""},
		{"changed", "a\nb\nc\n", "a\nB\nc\n",
			"--- a/f.hcl\n+++ b/f.hcl\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"no final newline", "a\nb", "a\nb\n",
			"--- a/f.hcl\n+++ b/f.hcl\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
		{"from empty", "", "a\n", "--- a/f.hcl\n+++ b/f.hcl\n@@ -0,0 +1 @@\n+a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UnifiedDiff("f.hcl", []byte(tt.a), []byte(tt.b)); got != tt.want {
				t.Errorf("UnifiedDiff(%q, %q) =\n%s\nwant\n%s", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
