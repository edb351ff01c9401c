package ui

import (
	"io"
	"strings"
	"sync"
	"time"
)

// Output lines are written in batches: at once when plainBatch bytes wait,
// else plainDelay after the first one; status lines flush what waits.
const (
	plainBatch = 64 << 10
	plainDelay = 50 * time.Millisecond
)

// Plain is the line-oriented Sink for CI logs, pipes and --plain: every
// output line is prefixed with its node's ID, and every node start and
// outcome gets a status line. Output lines are batched (written within
// 50 ms, or once 64 KiB wait) so that a step printing at disk speed costs
// one write per batch, not per line; a status line is written at once,
// after the output lines before it. Writes hold whole lines, so lines of
// concurrent nodes never interleave. Plain is safe for concurrent use.
type Plain struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	timer *time.Timer
}

// NewPlain returns a Plain sink writing to w. At RunFinished it writes the
// summary table (WriteSummary).
func NewPlain(w io.Writer) Sink {
	return &Plain{w: w}
}

// Event writes the line(s) for e. Write errors are ignored: losing the
// console must not stop a run whose logs also go to the state store.
func (p *Plain) Event(e Event) {
	var line string
	switch e.Kind {
	case NodeStarted:
		line = "▶ " + e.Node
		if e.Attempt > 1 {
			line += " (" + attemptText(e) + ")"
		}
	case NodeOutput:
		p.output(e.Node, e.Line)
		return
	case NodeRetrying:
		line = retryLine(e)
	case NodeFinished, NodeSkipped:
		line = statusLine(e)
	case RunFinished:
		if e.Summary == nil {
			p.write("")
			return
		}
		var b strings.Builder
		b.WriteByte('\n')
		_ = WriteSummary(&b, *e.Summary)
		p.write(b.String())
		return
	default:
		return
	}
	p.write(line + "\n")
}

// output queues an output line.
func (p *Plain) output(node, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, '[')
	p.buf = append(p.buf, node...)
	p.buf = append(p.buf, "] "...)
	p.buf = append(p.buf, line...)
	p.buf = append(p.buf, '\n')
	switch {
	case len(p.buf) >= plainBatch:
		p.flushLocked()
	case p.timer == nil:
		p.timer = time.AfterFunc(plainDelay, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.flushLocked()
		})
	}
}

// write writes what waits, then s.
func (p *Plain) write(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, s...)
	p.flushLocked()
}

// flushLocked writes the queued lines in one Write; p.mu is held.
func (p *Plain) flushLocked() {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	if len(p.buf) > 0 {
		_, _ = p.w.Write(p.buf)
		p.buf = p.buf[:0]
	}
	if f, ok := p.w.(interface{ Flush() error }); ok {
		_ = f.Flush()
	}
}
