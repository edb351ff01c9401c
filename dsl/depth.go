package dsl

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// MaxNesting is the deepest nesting of brackets, braces, parentheses,
// blocks and template interpolations a pipeline file may have. The HCL
// parser descends recursively, so a file of 100,000 "(" would otherwise
// exhaust the stack; real configs stay far below 100.
const MaxNesting = 500

// nestingProblem scans src as HCL tokens do, without building them, and
// returns a diagnostic at the first opening that goes deeper than max, or
// nil. It knows quoted strings (with escapes), heredocs, comments and
// template interpolations ${...} and %{...}, so brackets inside strings
// and comments do not count; it never allocates more than the stack of
// open constructs, which max bounds.
func nestingProblem(src []byte, filename string, max int) *hcl.Diagnostic {
	const (
		expr    = iota // inside an expression bracket or an interpolation
		quoted         // inside "..."
		heredoc        // inside a heredoc template
	)
	type frame struct {
		mode   int
		interp bool   // an expr frame opened by ${ or %{: "}" returns to the template
		marker []byte // heredoc end marker
	}
	stack := make([]frame, 0, 64)
	lineStart := true
	push := func(f frame, i int) *hcl.Diagnostic {
		if len(stack) >= max {
			start := posAt(src, i)
			end := start
			end.Column, end.Byte = end.Column+1, end.Byte+1
			rng := hcl.Range{Filename: filename, Start: start, End: end}
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Nesting Too Deep",
				Detail: fmt.Sprintf("This file nests brackets, blocks or interpolations more than %d levels deep, the most a pipeline file may. "+
					"Split the expression with locals, or flatten the structure.", max),
				Subject: &rng,
			}
		}
		stack = append(stack, f)
		return nil
	}
	top := func() int {
		if len(stack) == 0 {
			return expr
		}
		return stack[len(stack)-1].mode
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		atLineStart := lineStart
		lineStart = false
		switch top() {
		case quoted, heredoc:
			mode := top()
			switch {
			case mode == heredoc && atLineStart:
				// A line holding only the marker (after spaces) ends it.
				end := bytes.IndexByte(src[i:], '\n')
				if end < 0 {
					end = len(src) - i
				}
				if bytes.Equal(bytes.TrimSpace(src[i:i+end]), stack[len(stack)-1].marker) {
					stack = stack[:len(stack)-1]
				}
				i-- // look at this byte again in whatever mode is on top now
				continue
			case c == '\\' && mode == quoted:
				i++
			case c == '"' && mode == quoted:
				stack = stack[:len(stack)-1]
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == c && i+2 < len(src) && src[i+2] == '{':
				i += 2 // $${ and %%{ are literal
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				if d := push(frame{mode: expr, interp: true}, i); d != nil {
					return d
				}
				i++
			}
		default:
			switch c {
			case '"':
				if d := push(frame{mode: quoted}, i); d != nil {
					return d
				}
			case '(', '[', '{':
				if d := push(frame{mode: expr}, i); d != nil {
					return d
				}
			case ')', ']', '}':
				if len(stack) > 0 {
					stack = stack[:len(stack)-1]
				}
			case '#':
				i = skipLine(src, i) - 1
			case '/':
				if i+1 < len(src) && src[i+1] == '/' {
					i = skipLine(src, i) - 1
				} else if i+1 < len(src) && src[i+1] == '*' {
					end := bytes.Index(src[i+2:], []byte("*/"))
					if end < 0 {
						return nil // unterminated: the parser reports it
					}
					i += 2 + end + 1
				}
			case '<':
				if m, n := heredocMarker(src[i:]); m != nil {
					if d := push(frame{mode: heredoc, marker: m}, i); d != nil {
						return d
					}
					i += n - 1 // up to the newline, which is handled below
				}
			}
		}
		if i >= 0 && i < len(src) && src[i] == '\n' {
			lineStart = true
		}
	}
	return nil
}

// heredocMarker reads "<<EOT\n" or "<<-EOT\n" at the start of b and returns
// the marker and the length up to (not including) the newline.
func heredocMarker(b []byte) ([]byte, int) {
	if len(b) < 3 || b[0] != '<' || b[1] != '<' {
		return nil, 0
	}
	j := 2
	if j < len(b) && b[j] == '-' {
		j++
	}
	start := j
	for j < len(b) && (isASCIILetter(b[j]) || b[j] == '_' || (j > start && (b[j] >= '0' && b[j] <= '9' || b[j] == '-'))) {
		j++
	}
	if j == start {
		return nil, 0
	}
	k := j
	for k < len(b) && (b[k] == ' ' || b[k] == '\t' || b[k] == '\r') {
		k++
	}
	if k >= len(b) || b[k] != '\n' {
		return nil, 0
	}
	return b[start:j], k
}

// posAt returns the position of byte offset i of src.
func posAt(src []byte, i int) hcl.Pos {
	line := 1 + bytes.Count(src[:i], []byte{'\n'})
	lineStart := bytes.LastIndexByte(src[:i], '\n') + 1
	return hcl.Pos{Line: line, Column: 1 + len([]rune(string(src[lineStart:i]))), Byte: i}
}

func skipLine(src []byte, i int) int {
	if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(src)
}

// NestingProblem returns a "Nesting Too Deep" diagnostic when src nests
// deeper than MaxNesting, or nil: callers that parse pipeline files
// themselves (pipeline fmt) check it before the HCL parser sees them.
func NestingProblem(src []byte, filename string) *hcl.Diagnostic {
	return nestingProblem(src, filename, MaxNesting)
}
