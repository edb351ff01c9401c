package dsl

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/pipeline-cd/pipeline/internal/benchgen"
)

// TestParseConfigMatchesHCL checks that parsing in runs of top-level
// blocks gives exactly what hclsyntax.ParseConfig gives for the whole file:
// the same diagnostics, the same body and the same navigation, on the
// example configs, a generated one, tricky sources whose "}" lines are not
// the end of a top-level block, and every prefix of each of them.
func TestParseConfigMatchesHCL(t *testing.T) {
	sources := map[string]string{
		"generated": string(benchgen.Config(60, 6)),
		"object":    "x = {\n}\nbuild \"a\" {\n}\ny = 1\n",
		"heredoc":   "x = <<EOT\n}\nbuild \"a\" {\n}\nEOT\nbuild \"b\" {\n}\n",
		"comment":   "/*\n}\nbuild \"a\" {\n}\n*/\nbuild \"b\" {\n}\n",
		"template":  "x = \"${\n}\nbuild\"\nbuild \"b\" {\n}\n",
		"nested":    "build \"a\" {\n  step \"s\" {\n}\nrun = 1\n}\n}\nbuild \"b\" {\n}\n",
		"duplicate": "x = 1\nbuild \"a\" {\n}\nx = 2\nbuild \"b\" {\n}\nx = 3\n",
		"list":      "x = [\n{\n}\n]\nbuild \"a\" {\n}\nz = [{\n}\n]\n",
		"bom":       "\ufeffbuild \"a\" {\n}\nbuild \"b\" {\n}\n",
		"unicode":   "build \"é\" {\n  run = \"ß\"\n}\nbuild \"b\" {\n}\n",
		"blank":     "build \"a\" {\n}\n\n\nbuild \"b\" {\n}\n\n# c\nx = 1\n",
		"crlf":      "build \"a\" {\r\n}\r\nbuild \"b\" {\r\n}\r\n",
	}
	examples, _ := filepath.Glob("../examples/*/*.hcl")
	more, _ := filepath.Glob("../examples/*/*/*.hcl")
	for _, path := range append(examples, more...) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sources[path] = string(b)
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			checkParse(t, src)
			for i := range len(src) {
				if src[i] == '\n' {
					checkParse(t, src[:i+1])
					checkParse(t, src[:i])
				}
			}
		})
	}
}

func checkParse(t *testing.T, src string) {
	t.Helper()
	const name = "p.pipeline.hcl"
	want, wantDiags := hclsyntax.ParseConfig([]byte(src), name, hcl.InitialPos)
	got, gotDiags := parseConfig([]byte(src), name, 1)
	if !reflect.DeepEqual(gotDiags, wantDiags) {
		t.Fatalf("parseConfig(%q) diagnostics = %v; want %v", src, gotDiags, wantDiags)
	}
	if !reflect.DeepEqual(got.Body, want.Body) || !bytes.Equal(got.Bytes, want.Bytes) {
		t.Fatalf("parseConfig(%q) body differs from hclsyntax.ParseConfig", src)
	}
	type contexter interface{ ContextString(int) string }
	for off := range len(src) {
		g, w := got.Nav.(contexter).ContextString(off), want.Nav.(contexter).ContextString(off)
		if g != w {
			t.Fatalf("parseConfig(%q): ContextString(%d) = %q; want %q", src, off, g, w)
		}
	}
}

// TestSplitPoints checks where a file may be cut into runs.
func TestSplitPoints(t *testing.T) {
	tests := []struct {
		src  string
		min  int
		want []int
	}{
		{"a {\n}\nb {\n}\nc {\n}\n", 1, []int{6, 12}},
		{"a {\n}\nb {\n}\nc {\n}\n", 7, []int{12}},
		{"a {\n}\n\nb {\n}\n", 1, []int{7}},
		{"a {\n}\n \nb {\n}\n", 1, nil},
		{"a {\n  }\nb {\n}\n", 1, nil},
		{"a {\n}\n}\nb {\n}\n", 1, []int{8}},
		{"a {\n}\n1 {\n}\n", 1, nil},
	}
	for _, tt := range tests {
		if got := splitPoints([]byte(tt.src), tt.min); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitPoints(%q, %d) = %v; want %v", tt.src, tt.min, got, tt.want)
		}
	}
	if got := strings.Count(string(benchgen.Config(60, 6)), "\n}\n"); got < 6 {
		t.Errorf("generated config has %d block ends; want at least 6", got)
	}
}
