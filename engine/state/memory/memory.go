// Package memory is an in-memory state.Store for fast unit tests. It keeps
// the contract of the SQL stores (the same statetest suite runs against it):
// it rejects a node, log line or gate of an unknown run, a duplicate run,
// deployment or release, and it hands out copies, so a caller never shares
// memory with the store. Times come back in UTC without a monotonic reading.
// It is safe for concurrent use; its state ends with the process.
package memory

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// Store is the in-memory state store. The zero value is not ready; use New.
type Store struct {
	mu          sync.RWMutex
	closed      bool
	runs        map[string]*state.Run
	nodes       map[string]map[string]*state.Node // run -> node id -> node
	logs        map[string][]state.LogLine        // run -> lines in insertion order
	logKeys     map[logKey]bool
	releases    map[string]*state.Release
	versions    map[[2]string]string // (pipeline, version) -> release id
	deployments map[string]*state.Deployment
	gates       map[[2]string]*state.Gate // (run, name)
	approvals   map[[2]string][]*state.Approval
	audit       []*state.AuditEvent
	locks       map[string]*state.Lock
	groups      map[string][]string
	caches      map[cacheKey]*state.CacheEntry
}

type logKey struct {
	run, node string
	attempt   int
	seq       int64
}

var _ state.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		runs:        map[string]*state.Run{},
		nodes:       map[string]map[string]*state.Node{},
		logs:        map[string][]state.LogLine{},
		logKeys:     map[logKey]bool{},
		releases:    map[string]*state.Release{},
		versions:    map[[2]string]string{},
		deployments: map[string]*state.Deployment{},
		gates:       map[[2]string]*state.Gate{},
		approvals:   map[[2]string][]*state.Approval{},
		locks:       map[string]*state.Lock{},
		groups:      map[string][]string{},
	}
}

// Close marks the store closed; any later call returns ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// lock takes the write lock, or fails when the store is closed. The caller
// unlocks.
func (s *Store) lock() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// rlock takes the read lock, or fails when the store is closed.
func (s *Store) rlock() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// norm returns t in UTC without a monotonic reading, as the SQL stores
// return it.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// newestFirst orders by time descending, then id descending, as the SQL
// stores' ORDER BY ... DESC, id DESC.
func newestFirst(at1 time.Time, id1 string, at2 time.Time, id2 string) int {
	if c := at2.Compare(at1); c != 0 {
		return c
	}
	return strings.Compare(id2, id1)
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return slices.Clone(b)
}
