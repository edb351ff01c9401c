// Package logchunk encodes a run of a step's log lines as one compressed
// chunk, the unit in which the SQL state stores keep logs: one row per
// chunk instead of one per line, so output is stored at disk speed and takes
// a fraction of its raw size.
//
// Codec "gzip-v1" (the only one so far) is gzip (fastest level) over, for
// each line in Seq order:
//
//	uvarint  Seq - previous Seq (the first line: Seq - FirstSeq, so 0)
//	byte     stream: 0 stdout, 1 stderr, 2 other (then uvarint length, name)
//	varint   Time in Unix nanoseconds - previous line's (the first: - FirstAt)
//	uvarint  length of Text, then Text
//
// A chunk holds the lines of one node attempt of one run; FirstSeq, LastSeq,
// FirstAt and LastAt are stored beside it for ordering and lookups.
package logchunk

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// Codec is the name of the encoding Encode writes.
const Codec = "gzip-v1"

// ErrCodec reports a chunk in an encoding this binary does not know.
var ErrCodec = errors.New("unknown log chunk codec")

// Chunk is an encoded run of lines of one node attempt.
type Chunk struct {
	RunID, NodeID     string
	Attempt           int
	FirstSeq, LastSeq int64
	FirstAt, LastAt   time.Time
	Lines             int
	RawBytes          int64 // the lines' text plus one newline each
	Codec             string
	Data              []byte
}

// Group splits lines into runs of one (RunID, NodeID, Attempt), in the
// order each first appears, each sorted by Seq.
func Group(lines []state.LogLine) [][]state.LogLine {
	type key struct {
		run, node string
		attempt   int
	}
	idx := map[key]int{}
	var out [][]state.LogLine
	last, lastIdx := key{}, -1
	for _, l := range lines {
		// Batches mostly hold long runs of one node attempt's lines: the
		// map is consulted only when the attempt changes.
		if lastIdx < 0 || l.NodeID != last.node || l.Attempt != last.attempt || l.RunID != last.run {
			last = key{l.RunID, l.NodeID, l.Attempt}
			i, ok := idx[last]
			if !ok {
				i = len(out)
				idx[last] = i
				out = append(out, nil)
			}
			lastIdx = i
		}
		out[lastIdx] = append(out[lastIdx], l)
	}
	for _, g := range out {
		if !sort.SliceIsSorted(g, func(a, b int) bool { return g[a].Seq < g[b].Seq }) {
			sort.SliceStable(g, func(a, b int) bool { return g[a].Seq < g[b].Seq })
		}
	}
	return out
}

// Encode encodes lines, all of one node attempt and sorted by Seq with no
// Seq twice (Group's output), as one chunk. It returns an error for an
// empty, mixed or unsorted slice.
func Encode(lines []state.LogLine) (*Chunk, error) {
	if len(lines) == 0 {
		return nil, errors.New("logchunk: no lines to encode")
	}
	first := lines[0]
	c := &Chunk{RunID: first.RunID, NodeID: first.NodeID, Attempt: first.Attempt,
		FirstSeq: first.Seq, FirstAt: first.Time, Lines: len(lines), Codec: Codec}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	bw := bufio.NewWriterSize(zw, 32<<10)
	var tmp [binary.MaxVarintLen64]byte
	prevSeq, prevAt := first.Seq, nanos(first.Time)
	for i, l := range lines {
		if l.RunID != c.RunID || l.NodeID != c.NodeID || l.Attempt != c.Attempt {
			return nil, fmt.Errorf("logchunk: line %d belongs to %s/%s attempt %d, not %s/%s attempt %d",
				i, l.RunID, l.NodeID, l.Attempt, c.RunID, c.NodeID, c.Attempt)
		}
		if i > 0 && l.Seq <= prevSeq {
			return nil, fmt.Errorf("logchunk: line seq %d after %d: %w", l.Seq, prevSeq, state.ErrConflict)
		}
		bw.Write(tmp[:binary.PutUvarint(tmp[:], uint64(l.Seq-prevSeq))])
		switch l.Stream {
		case "stdout":
			bw.WriteByte(0)
		case "stderr":
			bw.WriteByte(1)
		default:
			bw.WriteByte(2)
			bw.Write(tmp[:binary.PutUvarint(tmp[:], uint64(len(l.Stream)))])
			bw.WriteString(l.Stream)
		}
		at := nanos(l.Time)
		bw.Write(tmp[:binary.PutVarint(tmp[:], at-prevAt)])
		bw.Write(tmp[:binary.PutUvarint(tmp[:], uint64(len(l.Text)))])
		bw.WriteString(l.Text)
		prevSeq, prevAt = l.Seq, at
		c.RawBytes += int64(len(l.Text)) + 1
		c.LastSeq, c.LastAt = l.Seq, l.Time
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	c.Data = buf.Bytes()
	return c, nil
}

// Decode calls fn for each line of c in Seq order, stopping at fn's first
// error. Times come back in UTC; a zero time stays zero.
func Decode(c *Chunk, fn func(state.LogLine) error) error {
	if c.Codec != Codec {
		return fmt.Errorf("%w %q in %s/%s attempt %d; upgrade pipeline", ErrCodec, c.Codec, c.RunID, c.NodeID, c.Attempt)
	}
	zr, err := gzip.NewReader(bytes.NewReader(c.Data))
	if err != nil {
		return fmt.Errorf("logchunk: %s/%s attempt %d: %w", c.RunID, c.NodeID, c.Attempt, err)
	}
	br := bufio.NewReaderSize(zr, 32<<10)
	seq, at := c.FirstSeq, nanos(c.FirstAt)
	var text []byte
	for i := 0; i < c.Lines; i++ {
		d, err := binary.ReadUvarint(br)
		if err != nil {
			return corrupt(c, err)
		}
		s, err := br.ReadByte()
		if err != nil {
			return corrupt(c, err)
		}
		stream := "stdout"
		switch s {
		case 0:
		case 1:
			stream = "stderr"
		default:
			n, err := binary.ReadUvarint(br)
			if err != nil || n > 1<<10 {
				return corrupt(c, err)
			}
			name := make([]byte, n)
			if _, err := io.ReadFull(br, name); err != nil {
				return corrupt(c, err)
			}
			stream = string(name)
		}
		dt, err := binary.ReadVarint(br)
		if err != nil {
			return corrupt(c, err)
		}
		n, err := binary.ReadUvarint(br)
		if err != nil || n > 1<<30 {
			return corrupt(c, err)
		}
		if uint64(cap(text)) < n {
			text = make([]byte, n)
		}
		text = text[:n]
		if _, err := io.ReadFull(br, text); err != nil {
			return corrupt(c, err)
		}
		seq += int64(d)
		at += dt
		if err := fn(state.LogLine{RunID: c.RunID, NodeID: c.NodeID, Attempt: c.Attempt, Seq: seq,
			Stream: stream, Time: fromNanos(at), Text: string(text)}); err != nil {
			return err
		}
	}
	return nil
}

func corrupt(c *Chunk, err error) error {
	if err == nil {
		err = errors.New("length out of range")
	}
	return fmt.Errorf("logchunk: corrupt chunk %s/%s attempt %d from seq %d: %w", c.RunID, c.NodeID, c.Attempt, c.FirstSeq, err)
}

// nanos is t in Unix nanoseconds, 0 for the zero time (as the stores keep
// times).
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
