// Package masked wraps a state.Store so that no secret reaches it: every
// free text a write carries (a run's plan, options and reason, node
// reasons, log lines, deployment reasons and commit subjects and authors,
// approval comments, audit details, artifact paths) passes a mask.Masker
// first. Identifiers, versions, branches, digests and the like are stored
// as given: rules compare them, and they come from git and the engine,
// not from secrets. The secrets are
// added as the process learns them (Add), so one wrapper serves every run a
// process starts, resumes or decides on.
package masked

import (
	"context"
	"sync"

	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// Store is a state.Store whose writes are masked. Reads pass through
// unchanged. It is safe for concurrent use. Close closes the wrapped store.
type Store struct {
	state.Store

	mu     sync.RWMutex
	sets   map[string]map[string]bool // replacement -> values
	masker *mask.Masker
}

var _ state.Store = (*Store)(nil)

// New wraps s; it masks nothing until Add is called.
func New(s state.Store) *Store {
	return &Store{Store: s, sets: map[string]map[string]bool{}, masker: &mask.Masker{}}
}

// Add makes the store mask the values of sets from now on, besides the
// values added before. Values shorter than mask.MinSecretLen are ignored
// (mask.ConfigSets leaves them out already).
func (s *Store) Add(sets ...mask.Set) {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for _, set := range sets {
		r := set.Replacement
		if r == "" {
			r = mask.Replacement
		}
		if s.sets[r] == nil {
			s.sets[r] = map[string]bool{}
		}
		for _, v := range set.Values {
			if len(v) >= mask.MinSecretLen && !s.sets[r][v] {
				s.sets[r][v], changed = true, true
			}
		}
	}
	if !changed {
		return
	}
	// Secrets first, so that a value that is both a secret and a
	// sensitive variable's shows "***".
	all := []mask.Set{{Values: keys(s.sets[mask.Replacement])}}
	for r, vals := range s.sets {
		if r != mask.Replacement {
			all = append(all, mask.Set{Values: keys(vals), Replacement: r})
		}
	}
	if m, err := mask.NewSets(all...); err == nil {
		s.masker = m
	}
}

// Masker returns the masker of everything added so far; a nil Store
// masks nothing.
func (s *Store) Masker() *mask.Masker {
	if s == nil {
		return &mask.Masker{}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.masker
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (s *Store) str(v string) string { return s.Masker().String(v) }

func (s *Store) bytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	m := s.Masker()
	if m.Empty() {
		return b
	}
	return []byte(m.String(string(b)))
}

// maskRun returns a copy of r with its texts masked; the caller's run
// keeps its values (and receives the ID and times the store sets).
func (s *Store) maskRun(r *state.Run) *state.Run {
	c := *r
	c.Reason, c.Plan, c.Options = s.str(r.Reason), s.bytes(r.Plan), s.bytes(r.Options)
	return &c
}

// CreateRun stores r masked; r gets the ID the store assigned.
func (s *Store) CreateRun(ctx context.Context, r *state.Run) error {
	c := s.maskRun(r)
	err := s.Store.CreateRun(ctx, c)
	r.ID = c.ID
	return err
}

// UpdateRun stores r's mutable fields masked.
func (s *Store) UpdateRun(ctx context.Context, r *state.Run) error {
	return s.Store.UpdateRun(ctx, s.maskRun(r))
}

// PutNode stores n with its reason masked.
func (s *Store) PutNode(ctx context.Context, n *state.Node) error {
	c := *n
	c.Reason = s.str(n.Reason)
	return s.Store.PutNode(ctx, &c)
}

// AppendLogs stores lines with their text masked.
func (s *Store) AppendLogs(ctx context.Context, lines []state.LogLine) error {
	m := s.Masker()
	if m.Empty() {
		return s.Store.AppendLogs(ctx, lines)
	}
	c := make([]state.LogLine, len(lines))
	for i, l := range lines {
		l.Text = m.String(l.Text)
		c[i] = l
	}
	return s.Store.AppendLogs(ctx, c)
}

// CreateRelease stores r with its artifact paths masked; r gets the ID
// and time the store assigned.
func (s *Store) CreateRelease(ctx context.Context, r *state.Release) error {
	c := *r
	c.Artifacts = make([]state.Artifact, len(r.Artifacts))
	for i, a := range r.Artifacts {
		a.Path = s.str(a.Path)
		c.Artifacts[i] = a
	}
	err := s.Store.CreateRelease(ctx, &c)
	r.ID, r.CreatedAt = c.ID, c.CreatedAt
	return err
}

func (s *Store) maskDeployment(d *state.Deployment) *state.Deployment {
	c := *d
	c.Reason = s.str(d.Reason)
	c.Commits = make([]state.Commit, len(d.Commits))
	for i, cm := range d.Commits {
		cm.Subject, cm.Author = s.str(cm.Subject), s.str(cm.Author)
		c.Commits[i] = cm
	}
	if d.Commits == nil {
		c.Commits = nil
	}
	return &c
}

// CreateDeployment stores d masked; d gets the ID the store assigned.
func (s *Store) CreateDeployment(ctx context.Context, d *state.Deployment) error {
	c := s.maskDeployment(d)
	err := s.Store.CreateDeployment(ctx, c)
	d.ID = c.ID
	return err
}

// UpdateDeployment stores d's mutable fields masked.
func (s *Store) UpdateDeployment(ctx context.Context, d *state.Deployment) error {
	return s.Store.UpdateDeployment(ctx, s.maskDeployment(d))
}

// AddApproval stores a with its comment masked; a gets the time the
// store assigned.
func (s *Store) AddApproval(ctx context.Context, a *state.Approval) error {
	c := *a
	c.Comment = s.str(a.Comment)
	err := s.Store.AddApproval(ctx, &c)
	a.At = c.At
	return err
}

// AppendAudit stores e with its detail masked; e gets the sequence number
// and time the store assigned.
func (s *Store) AppendAudit(ctx context.Context, e *state.AuditEvent) error {
	c := *e
	c.Detail = s.str(e.Detail)
	err := s.Store.AppendAudit(ctx, &c)
	e.Seq, e.At = c.Seq, c.At
	return err
}
