package exec

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// storeTimeout bounds each write to the store. Writes use a context
// detached from the run's, so a cancelled run still records how it ended.
const storeTimeout = 10 * time.Second

// Log lines reach the store in batches: every logFlushInterval, or as soon
// as logBatchBytes of text wait, and when a step attempt ends. Each call to
// the store carries at most logChunkBytes of text (one compressed chunk per
// node attempt in the SQL stores). A producer that outruns the store waits
// once logMaxPending bytes are queued, so memory stays bounded and output
// is stored at the store's speed, never dropped.
const (
	logFlushInterval = 100 * time.Millisecond
	logBatchBytes    = 256 << 10
	logChunkBytes    = 1 << 20
	logMaxPending    = 8 << 20
)

// storeStatus maps a node status to the word the store uses.
func storeStatus(status string) string {
	switch status {
	case StatusTimedOut:
		return state.StatusFailed
	case StatusStopped:
		return state.StatusWaiting
	case StatusNotReached:
		return state.NodePending
	case StatusReused:
		return state.StatusSucceeded
	default:
		return status
	}
}

// record writes nr as the node's final state.
func (r *scheduler) record(ctx context.Context, nr *NodeResult) {
	r.put(ctx, &state.Node{
		NodeID: nr.ID, Kind: nr.Kind, Status: storeStatus(nr.Status), Attempts: nr.Attempts,
		ExitCode: nr.ExitCode, Reason: nr.Reason, StartedAt: nr.Started, FinishedAt: nr.Finished,
	})
}

// put writes n under the run's ID, if there is a store.
func (r *scheduler) put(ctx context.Context, n *state.Node) {
	if r.opts.Store == nil {
		return
	}
	n.RunID = r.opts.RunID
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := r.opts.Store.PutNode(ctx, n); err != nil {
		r.recordErr(fmt.Errorf("record node %s as %s: %w", n.NodeID, n.Status, err))
	}
}

// recordErr logs a store failure and keeps the first one for Run to return.
func (r *scheduler) recordErr(err error) {
	r.log.Error("state store write failed", "error", err)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.firstErr == nil {
		r.firstErr = err
	}
}

func (r *scheduler) storeErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstErr
}

// logBatcher buffers masked log lines and appends them to the store in
// batches, from a goroutine of its own, so that a step's output never waits
// for a store round trip unless logMaxPending bytes are already queued.
// Batches are written in order, one at a time; flush writes everything
// queued before it returns, so a crash loses at most a tenth of a second of
// output. A batch that fails is reported and dropped (not retried, which
// could store lines twice).
type logBatcher struct {
	store   state.Store
	log     hclog.Logger
	onErr   func(error)
	mu      sync.Mutex
	room    *sync.Cond // signalled when the queue is taken
	lines   []state.LogLine
	pending int
	write   sync.Mutex // serializes flushes
	kick    chan struct{}
	quit    chan struct{}
	exited  chan struct{}
}

func newLogBatcher(store state.Store, log hclog.Logger, onErr func(error)) *logBatcher {
	b := &logBatcher{store: store, log: log, onErr: onErr, kick: make(chan struct{}, 1)}
	b.room = sync.NewCond(&b.mu)
	return b
}

// start begins the background flushing.
func (b *logBatcher) start() {
	if b.store == nil {
		return
	}
	b.quit, b.exited = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(b.exited)
		t := time.NewTicker(logFlushInterval)
		defer t.Stop()
		for {
			select {
			case <-b.quit:
				return
			case <-t.C:
			case <-b.kick:
			}
			b.flush()
		}
	}()
}

// stop ends the background flushing and writes what is left.
func (b *logBatcher) stop() {
	if b.store == nil {
		return
	}
	close(b.quit)
	<-b.exited
	b.flush()
}

// add queues a line. It wakes the flusher once a batch is full and waits
// while logMaxPending bytes are queued.
func (b *logBatcher) add(l state.LogLine) {
	if b.store == nil {
		return
	}
	b.mu.Lock()
	for b.pending >= logMaxPending && b.quit != nil {
		b.room.Wait()
	}
	b.lines = append(b.lines, l)
	b.pending += len(l.Text) + 1
	full := b.pending >= logBatchBytes
	b.mu.Unlock()
	if full {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
}

// flush writes every queued line, in calls of at most logChunkBytes.
func (b *logBatcher) flush() {
	if b.store == nil {
		return
	}
	b.write.Lock()
	defer b.write.Unlock()
	b.mu.Lock()
	lines := b.lines
	b.lines, b.pending = nil, 0
	b.room.Broadcast()
	b.mu.Unlock()
	for len(lines) > 0 {
		n, size := 0, 0
		for n < len(lines) && (n == 0 || size+len(lines[n].Text)+1 <= logChunkBytes) {
			size += len(lines[n].Text) + 1
			n++
		}
		b.append(lines[:n])
		lines = lines[n:]
	}
}

func (b *logBatcher) append(lines []state.LogLine) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := b.store.AppendLogs(ctx, lines); err != nil {
		b.onErr(fmt.Errorf("record %d log lines of %s: %w", len(lines), lines[0].NodeID, err))
	}
}

func sortStrings(s []string) { sort.Strings(s) }

func joinComma(s []string) string { return strings.Join(s, ", ") }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
