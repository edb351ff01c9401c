package mask

import (
	"bytes"
	"io"
	"sync"
)

// MaxLineLen is the longest partial line a Writer buffers. A step that
// writes more than this without a newline has the buffered text masked and
// passed on as one line, so memory stays bounded; a secret that straddles
// that forced break may then escape masking.
const MaxLineLen = 1 << 20

// LineWriter receives masked output one whole line at a time. The line has
// no trailing "\n" (a "\r" before it is kept). An error stops the Writer:
// Write and Close return it.
type LineWriter interface {
	WriteLine(line string) error
}

// LineFunc adapts a function to LineWriter.
type LineFunc func(line string) error

// WriteLine calls f(line).
func (f LineFunc) WriteLine(line string) error { return f(line) }

// To returns a LineWriter that writes each line followed by "\n" to w.
func To(w io.Writer) LineWriter {
	return LineFunc(func(line string) error {
		_, err := io.WriteString(w, line+"\n")
		return err
	})
}

// Writer returns an io.WriteCloser that splits what is written to it into
// lines, masks each whole line and passes it to w. Masking whole lines, not
// the raw chunks, catches a secret split across two writes. A partial last
// line is held until its newline arrives or Close flushes it. The writer is
// safe for concurrent use; Close must be called once all writes are done,
// and writes after Close fail with io.ErrClosedPipe.
func (m *Masker) Writer(w LineWriter) io.WriteCloser {
	return &lineWriter{m: m, w: w}
}

type lineWriter struct {
	m      *Masker
	w      LineWriter
	mu     sync.Mutex
	buf    []byte
	err    error
	closed bool
}

// Write buffers p and emits every line it completes. It reports len(p)
// written unless the LineWriter failed.
func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.closed {
		return 0, io.ErrClosedPipe
	}
	if lw.err != nil {
		return 0, lw.err
	}
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			lw.buf = append(lw.buf, p...)
			if len(lw.buf) >= MaxLineLen {
				lw.emit()
			}
			break
		}
		lw.buf = append(lw.buf, p[:i]...)
		p = p[i+1:]
		lw.emit()
		if lw.err != nil {
			return 0, lw.err
		}
	}
	if lw.err != nil {
		return 0, lw.err
	}
	return n, nil
}

// emit masks the buffered line, passes it on and empties the buffer.
func (lw *lineWriter) emit() {
	line := lw.m.String(string(lw.buf))
	lw.buf = lw.buf[:0]
	if err := lw.w.WriteLine(line); err != nil {
		lw.err = err
	}
}

// Close flushes a partial last line, if any, and reports the first error
// of the LineWriter.
func (lw *lineWriter) Close() error {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.closed {
		return lw.err
	}
	lw.closed = true
	if lw.err == nil && len(lw.buf) > 0 {
		lw.emit()
	}
	return lw.err
}
