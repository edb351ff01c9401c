package dsl

import (
	"strings"
	"testing"
)

func TestNestingProblem(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("(", n) + "1" + strings.Repeat(")", n) }
	tests := []struct {
		name string
		src  string
		line int // 0: no problem
		col  int
	}{
		{"shallow", "x = " + deep(5) + "\n", 0, 0},
		{"at the limit", "x = " + deep(9) + "\n", 0, 0},
		{"too deep", "a = 1\nx = " + deep(11) + "\n", 2, 15},
		{"brackets in a string", `x = "` + strings.Repeat("(", 50) + `"` + "\n", 0, 0},
		{"brackets in comments", "# " + strings.Repeat("[", 50) + "\n// " + strings.Repeat("{", 50) + "\n/* " + strings.Repeat("(", 50) + " */\n", 0, 0},
		{"brackets in a heredoc", "x = <<-EOT\n  case $x in " + strings.Repeat("(", 50) + "\n  EOT\ny = 1\n", 0, 0},
		{"interpolation counts", `x = "${` + deep(11) + `}"` + "\n", 1, 16},
		{"escaped interpolation", `x = "$${` + strings.Repeat("(", 50) + `"` + "\n", 0, 0},
		{"escaped quote", `x = "\"` + strings.Repeat("(", 50) + `"` + "\n", 0, 0},
		{"nested blocks", strings.Repeat("a {\n", 11) + strings.Repeat("}\n", 11), 11, 3},
		{"heredoc then deep", "x = <<EOT\n(((\nEOT\ny = " + deep(11) + "\n", 4, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := nestingProblem([]byte(tt.src), "f.hcl", 10)
			if tt.line == 0 {
				if d != nil {
					t.Fatalf("nestingProblem() = %s at %s; want none", d.Summary, d.Subject)
				}
				return
			}
			if d == nil {
				t.Fatalf("nestingProblem() = nil; want Nesting Too Deep at %d:%d", tt.line, tt.col)
			}
			if d.Summary != "Nesting Too Deep" || d.Subject.Start.Line != tt.line || d.Subject.Start.Column != tt.col {
				t.Fatalf("nestingProblem() = %s at %d:%d; want Nesting Too Deep at %d:%d", d.Summary, d.Subject.Start.Line, d.Subject.Start.Column, tt.line, tt.col)
			}
		})
	}
}
