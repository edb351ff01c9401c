package dag

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
)

// UpstreamError is the result of a vertex that Walk did not call because
// one of its dependencies failed or was itself skipped.
type UpstreamError struct {
	// Upstream is the name of the first (by name) direct dependency that
	// failed or was skipped.
	Upstream string
}

// Error says which dependency prevented the vertex from running.
func (e *UpstreamError) Error() string {
	return fmt.Sprintf("skipped: dependency %q did not succeed", e.Upstream)
}

type walkStatus uint8

const (
	statusPending walkStatus = iota
	statusOK
	statusFailed    // fn returned an error
	statusSkipped   // an upstream failed
	statusCancelled // not started because ctx was done
	statusCycle     // on or behind a cycle
)

type walkDone struct {
	v   int
	err error
}

// Walk calls fn for each vertex once all its dependencies returned nil, with
// at most parallelism calls at a time (<=0 means unbounded). Among vertices
// ready at the same time, the smallest names start first.
//
// A vertex whose dependency failed or was skipped is not called; its result
// is an *UpstreamError naming the first such dependency by name. A
// TolerantVertex is called anyway, once every dependency has finished. A vertex is
// decided only once every dependency has finished, so the result does not
// depend on timing. When ctx is done, no new vertex starts and vertices not
// yet started get ctx.Err() (unless a dependency failed, which still gives
// an *UpstreamError); Walk then waits for the calls already running, which
// should watch their own ctx. Vertices on or behind a cycle are never
// called; their result is a *CycleError.
//
// Walk returns the result of every vertex (nil means success). It is safe
// to call while no one mutates the graph; fn may be called concurrently.
func (g *Graph) Walk(ctx context.Context, parallelism int, fn func(ctx context.Context, v Vertex) error) map[string]error {
	ix := g.snapshot()
	n := len(ix.names)
	if parallelism <= 0 || parallelism > n {
		parallelism = n
	}
	w := &walker{
		g:       g,
		ix:      ix,
		status:  make([]walkStatus, n),
		pending: make([]int, n),
		results: make(map[string]error, n),
	}
	for i := range n {
		w.pending[i] = len(ix.deps[i])
		if w.pending[i] == 0 {
			w.ready = append(w.ready, i)
		}
	}
	heap.Init(&w.ready)

	done := make(chan walkDone, n)
	running := 0
	for {
		for w.ready.Len() > 0 && (running < parallelism || ctx.Err() != nil) {
			v := heap.Pop(&w.ready).(int)
			if err := ctx.Err(); err != nil {
				w.finish(v, statusCancelled, err)
				continue
			}
			running++
			go func(v int) {
				done <- walkDone{v: v, err: fn(ctx, g.vertices[ix.ids[v]])}
			}(v)
		}
		if running == 0 {
			break
		}
		select {
		case d := <-done:
			running--
			if d.err != nil {
				w.finish(d.v, statusFailed, d.err)
			} else {
				w.finish(d.v, statusOK, nil)
			}
		case <-ctx.Done():
			// Loop: the ready vertices are cancelled above, then wait
			// for the running ones without watching ctx again.
			for running > 0 {
				w.drainCancelled(ctx)
				d := <-done
				running--
				if d.err != nil {
					w.finish(d.v, statusFailed, d.err)
				} else {
					w.finish(d.v, statusOK, nil)
				}
			}
			w.drainCancelled(ctx)
		}
	}
	if len(w.results) < n {
		cerr := &CycleError{Cycles: ix.cycles()}
		for i, name := range ix.names {
			if w.status[i] == statusPending {
				w.status[i] = statusCycle
				w.results[name] = cerr
			}
		}
	}
	return w.results
}

type walker struct {
	g       *Graph
	ix      *indexed
	status  []walkStatus
	pending []int
	ready   intHeap
	results map[string]error
}

// drainCancelled gives ctx.Err() to every ready vertex: ctx is done.
func (w *walker) drainCancelled(ctx context.Context) {
	for w.ready.Len() > 0 {
		w.finish(heap.Pop(&w.ready).(int), statusCancelled, ctx.Err())
	}
}

// finish records the result of v and decides the dependents whose
// dependencies are now all finished: ready to run, or skipped.
func (w *walker) finish(v int, st walkStatus, err error) {
	w.status[v] = st
	w.results[w.ix.names[v]] = err
	for _, d := range w.ix.dependents[v] {
		w.pending[d]--
		if w.pending[d] > 0 {
			continue
		}
		upstream, cancelled := -1, error(nil)
		for _, dep := range w.ix.deps[d] { // ascending names
			switch w.status[dep] {
			case statusFailed, statusSkipped:
				if upstream == -1 {
					upstream = dep
				}
			case statusCancelled:
				cancelled = w.results[w.ix.names[dep]]
			}
		}
		switch {
		case cancelled != nil && (upstream < 0 || tolerant(w.g.vertices[w.ix.ids[d]])):
			w.finish(d, statusCancelled, cancelled)
		case upstream >= 0 && !tolerant(w.g.vertices[w.ix.ids[d]]):
			w.finish(d, statusSkipped, &UpstreamError{Upstream: w.ix.names[upstream]})
		default:
			heap.Push(&w.ready, d)
		}
	}
}

// TolerantVertex is a Vertex that Walk calls even when a dependency failed
// or was skipped, once every dependency has finished (a clean-up or alert
// step). Walk still does not call it when a dependency was cancelled.
type TolerantVertex interface {
	Vertex
	// Tolerant reports whether the vertex runs after failed dependencies.
	Tolerant() bool
}

func tolerant(v Vertex) bool {
	t, ok := v.(TolerantVertex)
	return ok && t.Tolerant()
}

// IsUpstream reports whether err is an *UpstreamError.
func IsUpstream(err error) bool {
	var u *UpstreamError
	return errors.As(err, &u)
}
