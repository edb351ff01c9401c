package dsl

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// textProblem checks that src, the content of the pipeline file filename,
// is text: UTF-8 without NUL bytes. It returns nil for text, else one
// error diagnostic ("Binary File" when src holds a NUL byte, otherwise
// "Invalid File Encoding") whose Subject is the first bad byte, so that a
// binary file gives one clear error instead of one per byte.
func textProblem(src []byte, filename string) *hcl.Diagnostic {
	bad := firstNonText(src)
	if bad < 0 {
		return nil
	}
	pos := positionOf(src, bad)
	end := pos
	end.Byte++
	end.Column++
	what := fmt.Sprintf("the byte 0x%02X at line %d, column %d (byte offset %d) is not valid UTF-8", src[bad], pos.Line, pos.Column, bad)
	if src[bad] == 0 {
		what = fmt.Sprintf("it holds a NUL byte at line %d, column %d (byte offset %d)", pos.Line, pos.Column, bad)
	}
	const hint = "remove it from the directory, or rename it so that it is neither pipeline.hcl nor ends in .pipeline.hcl"
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid File Encoding",
		Detail: fmt.Sprintf("The pipeline file %s is not UTF-8 text: %s, so it was not parsed. Save it as UTF-8; if it is not a pipeline file, %s.",
			filename, what, hint),
		Subject: &hcl.Range{Filename: filename, Start: pos, End: end},
	}
	if bytes.IndexByte(src, 0) >= 0 {
		d.Summary = "Binary File"
		d.Detail = fmt.Sprintf("The pipeline file %s is a binary file, not UTF-8 text: %s, so it was not parsed. Pipeline files are HCL text; %s.",
			filename, what, hint)
	}
	return d
}

// firstNonText returns the offset of the first NUL byte or byte that does
// not belong to a valid UTF-8 sequence in src, or -1 when there is none.
func firstNonText(src []byte) int {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c == 0 {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// positionOf returns the position of offset in src, which must be valid
// UTF-8 before offset; columns count characters, from 1.
func positionOf(src []byte, offset int) hcl.Pos {
	before := src[:offset]
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return hcl.Pos{
		Line:   bytes.Count(before, []byte{'\n'}) + 1,
		Column: utf8.RuneCount(before[lineStart:]) + 1,
		Byte:   offset,
	}
}
