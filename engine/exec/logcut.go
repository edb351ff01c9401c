package exec

import (
	"fmt"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// DefaultLogLimit is the stored-log limit of a step attempt when
// Options.LogLimit is 0: 64 MiB.
const DefaultLogLimit int64 = 64 << 20

// logCut keeps the stored log of one step attempt within a limit: the
// first half of the limit is stored as it comes (the head), the last half
// is held in memory, dropping its oldest lines as new ones come (the tail),
// and when the attempt ends a line saying what was cut is stored, then the
// tail. Sizes count each line's text plus its newline. The terminal still
// gets every line. A logCut is used under its attempt's lock.
type logCut struct {
	limit, head int64 // limit; bytes stored in the head so far
	tail        []state.LogLine
	tailStart   int // tail[tailStart:] is the tail; the rest is dropped
	tailBytes   int64
	cutLines    int64
	cutBytes    int64
	first       *state.LogLine // the first line cut
}

// newLogCut returns the cut for limit, or nil when limit is negative (no
// limit).
func newLogCut(limit int64) *logCut {
	switch {
	case limit < 0:
		return nil
	case limit == 0:
		limit = DefaultLogLimit
	}
	return &logCut{limit: limit}
}

// keep reports whether l belongs to the head, to be stored now; otherwise
// the cut holds it in the tail.
func (c *logCut) keep(l state.LogLine) bool {
	if c == nil {
		return true
	}
	size := int64(len(l.Text)) + 1
	if c.first == nil && c.head+size <= c.limit/2 {
		c.head += size
		return true
	}
	c.tail = append(c.tail, l)
	c.tailBytes += size
	for c.tailBytes > c.limit-c.limit/2 && c.tailStart < len(c.tail) {
		old := c.tail[c.tailStart]
		if c.first == nil {
			c.first = &old
		}
		c.tail[c.tailStart] = state.LogLine{}
		c.tailStart++
		c.cutLines++
		c.cutBytes += int64(len(old.Text)) + 1
		c.tailBytes -= int64(len(old.Text)) + 1
	}
	if c.tailStart > 4096 && c.tailStart > len(c.tail)/2 {
		c.tail = append([]state.LogLine(nil), c.tail[c.tailStart:]...)
		c.tailStart = 0
	}
	return false
}

// finish returns the lines to store once the attempt has ended: when
// something was cut, a line saying so (with the Seq of the first line
// cut), then the tail, numbered on from it so the stored lines have no
// gap in their Seq.
func (c *logCut) finish() []state.LogLine {
	if c == nil {
		return nil
	}
	tail := c.tail[c.tailStart:]
	if c.first == nil {
		return tail
	}
	note := *c.first
	note.Stream = "stderr"
	note.Text = fmt.Sprintf("[pipeline] %d lines (%s) of output cut here: the stored log of a step keeps its first and last %s (--log-limit %s); the terminal showed everything",
		c.cutLines, formatSize(c.cutBytes), formatSize(c.limit/2), formatSize(c.limit))
	out := make([]state.LogLine, 0, len(tail)+1)
	out = append(out, note)
	for i, l := range tail {
		l.Seq = note.Seq + 1 + int64(i)
		out = append(out, l)
	}
	return out
}

// formatSize renders n bytes as B, KiB, MiB or GiB.
func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
