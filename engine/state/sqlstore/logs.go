package sqlstore

import (
	"container/heap"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/logchunk"
)

// Logs are stored as compressed chunks (table log_chunks, one row per
// batch of lines of one node attempt; see package logchunk). Rows of the
// one-line-per-row table logs, written before schema version 2, stay
// readable: both tables are read and merged in order.

// AppendLogs implements state.RunStore: each node attempt's lines in the
// batch become one chunk row.
func (s *Store) AppendLogs(ctx context.Context, lines []state.LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	groups := logchunk.Group(lines)
	chunks := make([]*logchunk.Chunk, 0, len(groups))
	for _, g := range groups {
		c, err := logchunk.Encode(g)
		if err != nil {
			return fmt.Errorf("append %d log lines to run %q: %w", len(lines), lines[0].RunID, err)
		}
		chunks = append(chunks, c)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, c := range chunks {
			if err := s.checkOverlap(ctx, tx, c); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO log_chunks (run_id, node_id, attempt, first_seq, last_seq, first_at, last_at, line_count, raw_bytes, codec, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				c.RunID, c.NodeID, c.Attempt, c.FirstSeq, c.LastSeq, ns(c.FirstAt), ns(c.LastAt), c.Lines, c.RawBytes, c.Codec, c.Data)
			if err != nil {
				return s.classify(err, state.ErrConflict)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append %d log lines to run %q: %w", len(lines), lines[0].RunID, err)
	}
	return nil
}

// checkOverlap returns ErrConflict when a line of c is already stored.
// Chunks whose Seq range overlaps c's are decoded to tell a duplicate from
// a line that fills a gap.
func (s *Store) checkOverlap(ctx context.Context, tx *sql.Tx, c *logchunk.Chunk) error {
	var legacy int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM logs WHERE run_id = ? AND node_id = ? AND attempt = ? AND seq BETWEEN ? AND ?`),
		c.RunID, c.NodeID, c.Attempt, c.FirstSeq, c.LastSeq).Scan(&legacy); err != nil {
		return err
	}
	var overlapping []*logchunk.Chunk
	rows, err := tx.QueryContext(ctx, s.q(chunkCols+` WHERE run_id = ? AND node_id = ? AND attempt = ? AND first_seq <= ? AND last_seq >= ?`),
		c.RunID, c.NodeID, c.Attempt, c.LastSeq, c.FirstSeq)
	if err != nil {
		return err
	}
	for rows.Next() {
		o, err := scanChunk(rows)
		if err != nil {
			rows.Close()
			return err
		}
		overlapping = append(overlapping, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if legacy == 0 && len(overlapping) == 0 {
		return nil
	}
	mine := map[int64]bool{}
	if err := logchunk.Decode(c, func(l state.LogLine) error { mine[l.Seq] = true; return nil }); err != nil {
		return err
	}
	dup := func(l state.LogLine) error {
		if mine[l.Seq] {
			return fmt.Errorf("%w: line %d of %s attempt %d is already stored", state.ErrConflict, l.Seq, l.NodeID, l.Attempt)
		}
		return nil
	}
	for _, o := range overlapping {
		if err := logchunk.Decode(o, dup); err != nil {
			return err
		}
	}
	if legacy > 0 {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT seq FROM logs WHERE run_id = ? AND node_id = ? AND attempt = ? AND seq BETWEEN ? AND ?`),
			c.RunID, c.NodeID, c.Attempt, c.FirstSeq, c.LastSeq)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			if err := rows.Scan(&seq); err != nil {
				return err
			}
			if err := dup(state.LogLine{Seq: seq, NodeID: c.NodeID, Attempt: c.Attempt}); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	return nil
}

const chunkCols = `SELECT run_id, node_id, attempt, first_seq, last_seq, first_at, last_at, line_count, raw_bytes, codec, data FROM log_chunks`

func scanChunk(rows *sql.Rows) (*logchunk.Chunk, error) {
	var c logchunk.Chunk
	var first, last int64
	if err := rows.Scan(&c.RunID, &c.NodeID, &c.Attempt, &c.FirstSeq, &c.LastSeq, &first, &last, &c.Lines, &c.RawBytes, &c.Codec, &c.Data); err != nil {
		return nil, err
	}
	c.FirstAt, c.LastAt = tm(first), tm(last)
	return &c, nil
}

// Logs implements state.RunStore.
func (s *Store) Logs(ctx context.Context, runID, nodeID string) ([]state.LogLine, error) {
	var out []state.LogLine
	err := s.StreamLogs(ctx, runID, nodeID, func(l state.LogLine) error {
		out = append(out, l)
		return nil
	})
	return out, err
}

// LogAttempts implements state.RunStore.
func (s *Store) LogAttempts(ctx context.Context, runID string) (map[string][]int, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT DISTINCT node_id, attempt FROM log_chunks WHERE run_id = ?
UNION SELECT DISTINCT node_id, attempt FROM logs WHERE run_id = ? ORDER BY 1, 2`), runID, runID)
	if err != nil {
		return nil, fmt.Errorf("log attempts of run %q: %w", runID, err)
	}
	defer rows.Close()
	out := map[string][]int{}
	for rows.Next() {
		var node string
		var attempt int
		if err := rows.Scan(&node, &attempt); err != nil {
			return nil, fmt.Errorf("log attempts of run %q: %w", runID, err)
		}
		if a := out[node]; len(a) == 0 || a[len(a)-1] != attempt {
			out[node] = append(a, attempt)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("log attempts of run %q: %w", runID, err)
	}
	return out, nil
}

// StreamLogs implements state.RunStore. It holds at most the decoded lines
// of the chunks that overlap in order (about one chunk per step that ran
// at the same time), whatever the size of the log.
func (s *Store) StreamLogs(ctx context.Context, runID, nodeID string, fn func(state.LogLine) error) error {
	err := s.streamLogs(ctx, runID, nodeID, fn)
	var stop stopErr
	if errors.As(err, &stop) {
		return stop.err
	}
	if err != nil {
		return fmt.Errorf("logs of run %q: %w", runID, err)
	}
	return nil
}

// stopErr carries an error of the caller's fn, returned unwrapped.
type stopErr struct{ err error }

func (e stopErr) Error() string { return e.err.Error() }

func (s *Store) streamLogs(ctx context.Context, runID, nodeID string, fn func(state.LogLine) error) error {
	// The run's lines are ordered by time, node, attempt and Seq; a node's
	// by attempt and Seq. Both tables are read in that order by the start
	// of each row, and a line is passed on once no later row can hold an
	// earlier one.
	less := byTime
	var chunkQ, legacyQ string
	args := []any{runID}
	if nodeID == "" {
		chunkQ = chunkCols + ` WHERE run_id = ? ORDER BY first_at, node_id, attempt, first_seq`
		legacyQ = legacyCols + ` WHERE run_id = ? ORDER BY logged_at, node_id, attempt, seq`
	} else {
		less = bySeq
		args = append(args, nodeID)
		chunkQ = chunkCols + ` WHERE run_id = ? AND node_id = ? ORDER BY attempt, first_seq`
		legacyQ = legacyCols + ` WHERE run_id = ? AND node_id = ? ORDER BY attempt, seq`
	}
	chunks, err := s.db.QueryContext(ctx, s.q(chunkQ), args...)
	if err != nil {
		return err
	}
	defer chunks.Close()
	legacy, err := s.db.QueryContext(ctx, s.q(legacyQ), args...)
	if err != nil {
		return err
	}
	defer legacy.Close()

	var nextChunk *logchunk.Chunk
	var nextLegacy *state.LogLine
	readChunk := func() error {
		nextChunk = nil
		if chunks.Next() {
			c, err := scanChunk(chunks)
			nextChunk = c
			return err
		}
		return chunks.Err()
	}
	readLegacy := func() error {
		nextLegacy = nil
		if legacy.Next() {
			var l state.LogLine
			var at int64
			if err := legacy.Scan(&l.RunID, &l.NodeID, &l.Attempt, &l.Seq, &l.Stream, &at, &l.Text); err != nil {
				return err
			}
			l.Time = tm(at)
			nextLegacy = &l
		}
		return legacy.Err()
	}
	if err := readChunk(); err != nil {
		return err
	}
	if err := readLegacy(); err != nil {
		return err
	}
	h := &lineHeap{less: less}
	// emitBefore passes on every held line that sorts before bound.
	emitBefore := func(bound state.LogLine) error {
		for h.Len() > 0 {
			top := h.lines[0]
			if !h.less(top, bound) {
				return nil
			}
			heap.Pop(h)
			if err := fn(top); err != nil {
				return stopErr{err}
			}
		}
		return nil
	}
	for nextChunk != nil || nextLegacy != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		if nextChunk != nil && (nextLegacy == nil || !less(*nextLegacy, chunkHead(nextChunk))) {
			c := nextChunk
			if err := emitBefore(boundOf(chunkHead(c), nodeID == "")); err != nil {
				return err
			}
			if err := readChunk(); err != nil {
				return err
			}
			// A line below everything held and below the next row's
			// bound is passed on at once (the common case: one step's
			// chunks in a row); the others wait in the heap.
			var bound *state.LogLine
			for _, next := range []*state.LogLine{headOf(nextChunk), nextLegacy} {
				if next != nil {
					b := boundOf(*next, nodeID == "")
					if bound == nil || less(b, *bound) {
						bound = &b
					}
				}
			}
			err := logchunk.Decode(c, func(l state.LogLine) error {
				if (h.Len() == 0 || less(l, h.lines[0])) && (bound == nil || less(l, *bound)) {
					if err := fn(l); err != nil {
						return stopErr{err}
					}
					return nil
				}
				heap.Push(h, l)
				return nil
			})
			if err != nil {
				return err
			}
			continue
		}
		l := *nextLegacy
		if err := emitBefore(boundOf(l, nodeID == "")); err != nil {
			return err
		}
		heap.Push(h, l)
		if err := readLegacy(); err != nil {
			return err
		}
	}
	for h.Len() > 0 {
		if err := fn(heap.Pop(h).(state.LogLine)); err != nil {
			return stopErr{err}
		}
	}
	return nil
}

const legacyCols = `SELECT run_id, node_id, attempt, seq, stream, logged_at, line FROM logs`

// headOf is chunkHead of c, or nil for no chunk.
func headOf(c *logchunk.Chunk) *state.LogLine {
	if c == nil {
		return nil
	}
	h := chunkHead(c)
	return &h
}

// chunkHead is the ordering key of a chunk's first line.
func chunkHead(c *logchunk.Chunk) state.LogLine {
	return state.LogLine{RunID: c.RunID, NodeID: c.NodeID, Attempt: c.Attempt, Seq: c.FirstSeq, Time: c.FirstAt}
}

// boundOf is the lowest key any line read after a row starting at head can
// have: rows come in order of their first line, and in the run-wide order a
// later row may start at the same time with a smaller node ID, so only the
// time bounds it.
func boundOf(head state.LogLine, runWide bool) state.LogLine {
	if runWide {
		return state.LogLine{Time: head.Time}
	}
	return head
}

func byTime(a, b state.LogLine) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	if a.NodeID != b.NodeID {
		return a.NodeID < b.NodeID
	}
	if a.Attempt != b.Attempt {
		return a.Attempt < b.Attempt
	}
	return a.Seq < b.Seq
}

func bySeq(a, b state.LogLine) bool {
	if a.Attempt != b.Attempt {
		return a.Attempt < b.Attempt
	}
	return a.Seq < b.Seq
}

// lineHeap is a min-heap of lines by less.
type lineHeap struct {
	lines []state.LogLine
	less  func(a, b state.LogLine) bool
}

func (h *lineHeap) Len() int           { return len(h.lines) }
func (h *lineHeap) Less(i, j int) bool { return h.less(h.lines[i], h.lines[j]) }
func (h *lineHeap) Swap(i, j int)      { h.lines[i], h.lines[j] = h.lines[j], h.lines[i] }
func (h *lineHeap) Push(x any)         { h.lines = append(h.lines, x.(state.LogLine)) }
func (h *lineHeap) Pop() any {
	n := len(h.lines) - 1
	l := h.lines[n]
	h.lines = h.lines[:n]
	return l
}
