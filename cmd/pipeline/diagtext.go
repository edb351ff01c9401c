package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// writeDiagnosticsText renders diagnostics the way compilers do: a
// "file:line:col" location a terminal or editor can jump to, the source line
// with the offending range underlined, and the detail that says how to fix
// it. A summary line counts the errors and warnings.
func writeDiagnosticsText(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, color bool) error {
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	var errs, warns int
	for _, d := range diags {
		label := paint("1;31", "Error")
		if d.Severity == hcl.DiagWarning {
			label = paint("1;33", "Warning")
			warns++
		} else {
			errs++
		}
		fmt.Fprintf(bw, "%s: %s\n", label, paint("1", d.Summary))
		if r := d.Subject; r != nil {
			fmt.Fprintf(bw, "  --> %s:%d:%d\n", r.Filename, r.Start.Line, r.Start.Column)
			writeSnippet(bw, files[r.Filename], *r, paint)
		}
		if d.Detail != "" {
			for _, line := range strings.Split(strings.TrimSpace(d.Detail), "\n") {
				fmt.Fprintf(bw, "  %s\n", line)
			}
		}
		fmt.Fprintln(bw)
	}
	switch {
	case errs > 0:
		fmt.Fprintf(bw, "%s, %s.\n", plural(errs, "error"), plural(warns, "warning"))
	case warns > 0:
		fmt.Fprintf(bw, "%s.\n", plural(warns, "warning"))
	}
	return bw.Flush()
}

// writeSnippet prints the source line(s) of r with the range underlined.
// Binary or missing sources print nothing.
func writeSnippet(w io.Writer, f *hcl.File, r hcl.Range, paint func(string, string) string) {
	if f == nil || len(f.Bytes) == 0 || bytes.IndexByte(f.Bytes, 0) >= 0 {
		return
	}
	lines := strings.Split(string(f.Bytes), "\n")
	if r.Start.Line < 1 || r.Start.Line > len(lines) {
		return
	}
	text := strings.TrimRight(lines[r.Start.Line-1], "\r")
	num := fmt.Sprint(r.Start.Line)
	pad := strings.Repeat(" ", len(num))
	fmt.Fprintf(w, "  %s |\n", pad)
	fmt.Fprintf(w, "  %s | %s\n", num, strings.ReplaceAll(text, "\t", " "))
	start := r.Start.Column - 1
	if start < 0 || start > len(text) {
		return
	}
	end := len(text)
	if r.End.Line == r.Start.Line && r.End.Column-1 > start && r.End.Column-1 <= len(text) {
		end = r.End.Column - 1
	}
	width := end - start
	if width < 1 {
		width = 1
	}
	fmt.Fprintf(w, "  %s | %s%s\n", pad, strings.Repeat(" ", start), paint("1;31", strings.Repeat("^", width)))
}
