package ui

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	// liveTail is how many recent output lines the live view shows under
	// each running node.
	liveTail = 3
	// failTail is how many recent output lines are printed under a node
	// that failed, so the reason is visible without `pipeline logs`.
	failTail = 10
	// liveInterval bounds the refresh rate: at most ten redraws a second.
	liveInterval = 100 * time.Millisecond
	// defaultWidth is the terminal width assumed when it is not known.
	defaultWidth = 100
)

// Live is the Sink for terminals. It keeps a region at the bottom of the
// screen listing the running nodes with their elapsed time and the last
// lines of their output, redrawn with ANSI escapes at most ten times a
// second; finished nodes scroll above the region as permanent status
// lines. Lines are cut to the terminal width so the region's height is
// exact. Live is safe for concurrent use; it stops redrawing after
// RunFinished, when it prints the summary.
type Live struct {
	mu       sync.Mutex
	writeMu  sync.Mutex // serializes writes to w, which happen outside mu
	w        io.Writer
	now      func() time.Time
	width    int
	interval time.Duration

	running  map[string]*liveNode
	order    []string // running node IDs in start order
	above    []string // finished lines not yet printed
	drawn    int      // lines of the region currently on screen
	dirty    bool
	started  bool // the redraw goroutine runs
	finished bool
	stop     chan struct{}
	stopped  chan struct{}
}

type liveNode struct {
	id      string
	started time.Time
	attempt string
	tail    []string
}

// NewLive returns a Live sink writing to w, assuming a terminal of 100
// columns; use NewLiveWidth when the width is known.
func NewLive(w io.Writer) Sink {
	return NewLiveWidth(w, defaultWidth)
}

// NewLiveWidth returns a Live sink writing to w for a terminal of the given
// width in columns (defaultWidth when width < 20).
func NewLiveWidth(w io.Writer, width int) Sink {
	return newLive(w, width, liveInterval, time.Now)
}

func newLive(w io.Writer, width int, interval time.Duration, now func() time.Time) *Live {
	if width < 20 {
		width = defaultWidth
	}
	return &Live{
		w: w, now: now, width: width, interval: interval,
		running: make(map[string]*liveNode),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
}

// Event records e; the screen is updated by the next redraw. RunFinished
// redraws at once, stops the redraw goroutine and writes the summary.
func (l *Live) Event(e Event) {
	l.mu.Lock()
	if l.finished {
		l.mu.Unlock()
		return
	}
	if !l.started && e.Kind != RunFinished {
		l.started = true
		go l.loop()
	}
	l.apply(e)
	if e.Kind != RunFinished {
		l.mu.Unlock()
		return
	}
	l.finished = true
	started := l.started
	l.mu.Unlock()
	if started {
		close(l.stop)
		<-l.stopped
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.redraw()
	if e.Summary != nil {
		var b strings.Builder
		b.WriteByte('\n')
		_ = WriteSummary(&b, *e.Summary)
		_, _ = io.WriteString(l.w, b.String())
	}
}

// apply updates the model for e; l.mu is held.
func (l *Live) apply(e Event) {
	l.dirty = true
	switch e.Kind {
	case NodeStarted:
		n := &liveNode{id: e.Node, started: e.Time}
		if e.Time.IsZero() {
			n.started = l.now()
		}
		if e.Attempt > 1 {
			n.attempt = attemptText(e)
		}
		if _, ok := l.running[e.Node]; !ok {
			l.order = append(l.order, e.Node)
		}
		l.running[e.Node] = n
	case NodeOutput:
		if n, ok := l.running[e.Node]; ok {
			n.tail = append(n.tail, e.Line)
			if len(n.tail) > failTail {
				n.tail = n.tail[len(n.tail)-failTail:]
			}
		}
	case NodeRetrying:
		l.above = append(l.above, retryLine(e))
	case NodeFinished, NodeSkipped:
		l.above = append(l.above, statusLine(e))
		if n, ok := l.running[e.Node]; ok {
			if !succeeded(e.Status) {
				for _, line := range n.tail {
					l.above = append(l.above, "    │ "+line)
				}
			}
			delete(l.running, e.Node)
			for i, id := range l.order {
				if id == e.Node {
					l.order = append(l.order[:i], l.order[i+1:]...)
					break
				}
			}
		}
	}
}

func (l *Live) loop() {
	defer close(l.stopped)
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			// The frame is rendered under the lock and written after it
			// is released, so a slow terminal never holds up a step's
			// output (Event only waits for the rendering).
			l.mu.Lock()
			frame := ""
			if l.dirty || len(l.running) > 0 {
				frame = l.render()
			}
			l.mu.Unlock()
			l.write(frame)
		}
	}
}

// redraw renders a frame and writes it; l.mu is held.
func (l *Live) redraw() { l.write(l.render()) }

// write writes frame to the terminal in a single Write.
func (l *Live) write(frame string) {
	if frame == "" {
		return
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	_, _ = io.WriteString(l.w, frame)
}

// render returns the frame that erases the region, prints pending finished
// lines above it and draws the region again; l.mu is held.
func (l *Live) render() string {
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dF\x1b[J", l.drawn)
	}
	for _, line := range l.above {
		b.WriteString(l.cut(line))
		b.WriteByte('\n')
	}
	l.above = l.above[:0]
	l.drawn = 0
	now := l.now()
	for _, id := range l.order {
		n := l.running[id]
		head := fmt.Sprintf("⠿ %s  %s", n.id, FormatDuration(now.Sub(n.started)))
		if n.attempt != "" {
			head += "  (" + n.attempt + ")"
		}
		b.WriteString(l.cut(head))
		b.WriteByte('\n')
		l.drawn++
		tail := n.tail
		if len(tail) > liveTail {
			tail = tail[len(tail)-liveTail:]
		}
		for _, line := range tail {
			b.WriteString(l.cut("    " + line))
			b.WriteByte('\n')
			l.drawn++
		}
	}
	l.dirty = false
	return b.String()
}

// cut shortens s to fit one terminal line and drops control characters
// that would move the cursor and break the region's height.
func (l *Live) cut(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 && r != '\t' || r == 0x7f {
			continue
		}
		if r == '\t' {
			r = ' '
		}
		if n == l.width-1 {
			b.WriteRune('…')
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
