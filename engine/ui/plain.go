package ui

import (
	"io"
	"strings"
	"sync"
)

// Plain is the line-oriented Sink for CI logs, pipes and --plain: every
// output line is prefixed with its node's ID and written at once, and every
// node start and outcome gets a status line. Each line is written with a
// single Write call, so lines of concurrent nodes never interleave. Plain is
// safe for concurrent use.
type Plain struct {
	mu sync.Mutex
	w  io.Writer
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
		line = "[" + e.Node + "] " + e.Line
	case NodeRetrying:
		line = retryLine(e)
	case NodeFinished, NodeSkipped:
		line = statusLine(e)
	case RunFinished:
		if e.Summary == nil {
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

func (p *Plain) write(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, _ = io.WriteString(p.w, s)
	if f, ok := p.w.(interface{ Flush() error }); ok {
		_ = f.Flush()
	}
}
