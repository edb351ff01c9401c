// Package statecheck verifies the invariants of a state store and its
// artifact store: the checks `pipeline state check` runs and the fleet test
// applies after its load.
//
// It reads through the state.Store interface only, so it works the same on
// SQLite, PostgreSQL and the memory store, and it never writes.
package statecheck

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// Kinds of findings.
const (
	// KindOverlap: two deployments of one pipeline and environment ran at
	// the same time (the environment lock was not held).
	KindOverlap = "overlapping-deployments"
	// KindNoRelease: a deployment names a release that does not exist.
	KindNoRelease = "deployment-without-release"
	// KindArtifact: a release's artifact is missing from the artifact
	// store or its content does not match its sha256.
	KindArtifact = "release-artifact"
	// KindStuckRun: a run is recorded running (or a deployment running)
	// but the process that ran it on this host is gone.
	KindStuckRun = "stuck-run"
	// KindNotFinal: a run is not in a final state (only with
	// Options.RequireFinal).
	KindNotFinal = "run-not-final"
	// KindUnbound: an approval was recorded for another release digest
	// than the one its gate guards.
	KindUnbound = "unbound-approval"
	// KindLogGap: a step attempt's stored log lines are not numbered
	// 0..n-1 without gaps.
	KindLogGap = "log-gap"
)

// Finding is one broken invariant.
type Finding struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"` // the run, release or deployment
	Detail  string `json:"detail"`
}

func (f Finding) String() string { return fmt.Sprintf("%s: %s: %s", f.Kind, f.Subject, f.Detail) }

// Artifacts verifies a blob of the artifact store (release.CAS.Verify):
// nil when the blob with hex digest sum is present and matches it.
type Artifacts interface {
	Verify(sum string) error
}

// Options says what to check against.
type Options struct {
	// Artifacts checks release artifacts; nil skips the check.
	Artifacts Artifacts
	// Host is this host's name, as runs record it; Alive reports whether a
	// process of this host is alive. A running run of this host whose
	// process is dead is stuck. Runs of other hosts are not judged.
	Host  string
	Alive func(pid int) bool
	// RequireFinal reports every run that is not succeeded, failed,
	// cancelled, rejected or expired (after a fleet run, say).
	RequireFinal bool
	// Logs checks the numbering of every stored log line (reads every
	// log; off by default for large stores).
	Logs bool
	// Now is the current time for open deployments; zero means time.Now.
	Now time.Time
}

// Report is the outcome of Check.
type Report struct {
	Runs        int       `json:"runs"`
	Releases    int       `json:"releases"`
	Deployments int       `json:"deployments"`
	Approvals   int       `json:"approvals"`
	Artifacts   int       `json:"artifacts"`
	LogLines    int       `json:"log_lines"`
	Findings    []Finding `json:"findings"`
}

// OK reports whether no invariant is broken.
func (r *Report) OK() bool { return len(r.Findings) == 0 }

func (r *Report) add(kind, subject, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{Kind: kind, Subject: subject, Detail: fmt.Sprintf(format, args...)})
}

// Check reads every pipeline's runs, releases and deployments from s and
// reports the invariants they break. An error means s could not be read.
func Check(ctx context.Context, s state.Store, opts Options) (*Report, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	rep := &Report{Findings: []Finding{}}
	pipelines, err := s.Pipelines(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range pipelines {
		if err := checkRuns(ctx, s, p, opts, rep); err != nil {
			return nil, err
		}
		if err := checkReleases(ctx, s, p, opts, rep); err != nil {
			return nil, err
		}
		if err := checkDeployments(ctx, s, p, opts, rep); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func final(status string) bool {
	switch status {
	case state.StatusSucceeded, state.StatusFailed, state.StatusCancelled, state.StatusRejected, state.StatusExpired:
		return true
	}
	return false
}

// hostOf returns the host and pid of a run ("", 0 when unknown).
func hostOf(ctx context.Context, s state.Store, runID string) (string, int) {
	r, err := s.GetRun(ctx, runID)
	if err != nil {
		return "", 0
	}
	if r.Status != state.StatusRunning {
		return "", 0
	}
	return r.Host, r.PID
}

func (o Options) dead(host string, pid int) bool {
	return o.Alive != nil && host != "" && host == o.Host && !o.Alive(pid)
}

func checkRuns(ctx context.Context, s state.Store, pipeline string, opts Options, rep *Report) error {
	runs, err := s.ListRuns(ctx, state.RunFilter{Pipeline: pipeline})
	if err != nil {
		return err
	}
	for _, r := range runs {
		rep.Runs++
		if r.Status == state.StatusRunning && opts.dead(r.Host, r.PID) {
			rep.add(KindStuckRun, "run "+r.ID, "recorded running by pid %d on %s, which is gone; `pipeline resume %s` goes on from where it stopped", r.PID, r.Host, r.ID)
		} else if opts.RequireFinal && !final(r.Status) {
			rep.add(KindNotFinal, "run "+r.ID, "status %s (%s)", r.Status, r.Reason)
		}
		nodes, err := s.Nodes(ctx, r.ID)
		if err != nil {
			return err
		}
		var digest string
		if r.ReleaseID != "" {
			if rel, err := s.GetRelease(ctx, r.ReleaseID); err == nil {
				digest = rel.Digest
			} else if !errors.Is(err, state.ErrNotFound) {
				return err
			}
		}
		for _, n := range nodes {
			switch {
			case n.Kind == "gate":
				if err := checkGate(ctx, s, r, n, digest, rep); err != nil {
					return err
				}
			case opts.Logs && n.Kind == "step" && n.Attempts > 0:
				if err := checkLogs(ctx, s, r.ID, n.NodeID, rep); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkGate(ctx context.Context, s state.Store, r *state.Run, n *state.Node, runDigest string, rep *Report) error {
	g, err := gateOf(ctx, s, r.ID, n.NodeID)
	if errors.Is(err, state.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	approvals, err := s.Approvals(ctx, r.ID, g.Name)
	if err != nil {
		return err
	}
	for _, a := range approvals {
		rep.Approvals++
		bound := g.ReleaseDigest
		if bound == "" {
			bound = runDigest
		}
		if a.Decision == "approve" && bound != "" && a.ReleaseDigest != bound {
			rep.add(KindUnbound, "run "+r.ID, "gate %s: %s's approval is bound to %s, but the gate guards %s", g.Name, a.By, a.ReleaseDigest, bound)
		}
	}
	return nil
}

// gateOf finds the gate record of a gate node "environment.ENV.gate.NAME":
// the engine records it as "ENV/NAME" (older runs: NAME).
func gateOf(ctx context.Context, s state.Store, runID, nodeID string) (*state.Gate, error) {
	var env, name string
	if _, err := fmt.Sscanf(replaceDots(nodeID), "environment %s gate %s", &env, &name); err != nil {
		return nil, state.ErrNotFound
	}
	g, err := s.GetGate(ctx, runID, env+"/"+name)
	if errors.Is(err, state.ErrNotFound) {
		return s.GetGate(ctx, runID, name)
	}
	return g, err
}

// replaceDots turns "environment.prod.gate.go-live" into words Sscanf can
// read; gate and environment names contain no dots.
func replaceDots(id string) string {
	b := []byte(id)
	for i := range b {
		if b[i] == '.' {
			b[i] = ' '
		}
	}
	return string(b)
}

func checkLogs(ctx context.Context, s state.Store, runID, nodeID string, rep *Report) error {
	next := map[int]int64{}
	return s.StreamLogs(ctx, runID, nodeID, func(l state.LogLine) error {
		rep.LogLines++
		if l.Seq != next[l.Attempt] {
			rep.add(KindLogGap, "run "+runID, "step %s attempt %d: line %d follows line %d", nodeID, l.Attempt, l.Seq, next[l.Attempt]-1)
		}
		next[l.Attempt] = l.Seq + 1
		return nil
	})
}

func checkReleases(ctx context.Context, s state.Store, pipeline string, opts Options, rep *Report) error {
	rels, err := s.ListReleases(ctx, pipeline, 0)
	if err != nil {
		return err
	}
	for _, r := range rels {
		rep.Releases++
		if opts.Artifacts == nil {
			continue
		}
		for _, a := range r.Artifacts {
			rep.Artifacts++
			if err := opts.Artifacts.Verify(a.SHA256); err != nil {
				rep.add(KindArtifact, fmt.Sprintf("release %s %s", r.Pipeline, r.Version), "artifact %s (%s, sha256 %s): %v", a.Name, a.Path, a.SHA256, err)
			}
		}
	}
	return nil
}

func checkDeployments(ctx context.Context, s state.Store, pipeline string, opts Options, rep *Report) error {
	deps, err := s.ListDeployments(ctx, state.DeploymentFilter{Pipeline: pipeline})
	if err != nil {
		return err
	}
	byEnv := map[string][]*state.Deployment{}
	for _, d := range deps {
		rep.Deployments++
		byEnv[d.Environment] = append(byEnv[d.Environment], d)
		if d.ReleaseID == "" {
			continue // a pipeline without package stages deploys without a release
		}
		if _, err := s.GetRelease(ctx, d.ReleaseID); errors.Is(err, state.ErrNotFound) {
			rep.add(KindNoRelease, "deployment "+d.ID, "%s to %s names release %s (version %s), which is not in the store", pipeline, d.Environment, d.ReleaseID, d.Version)
		} else if err != nil {
			return err
		}
	}
	for env, ds := range byEnv {
		sort.Slice(ds, func(i, j int) bool { return ds[i].StartedAt.Before(ds[j].StartedAt) })
		// prev is the deployment that finishes last among those started so far.
		var prev *state.Deployment
		var prevEnd time.Time
		for _, cur := range ds {
			if prev != nil && cur.StartedAt.Before(prevEnd) {
				rep.add(KindOverlap, "deployment "+cur.ID, "%s to %s started at %s while deployment %s (started %s, %s) had not finished",
					pipeline, env, cur.StartedAt.UTC().Format(time.RFC3339Nano), prev.ID, prev.StartedAt.UTC().Format(time.RFC3339Nano), prev.Status)
			}
			end := cur.FinishedAt
			if end.IsZero() {
				end = opts.Now
				if cur.Status == state.StatusRunning && opts.dead(hostOf(ctx, s, cur.RunID)) {
					rep.add(KindStuckRun, "deployment "+cur.ID, "%s to %s is recorded running, but the process of run %s is gone; `pipeline resume %s` finishes it", pipeline, env, cur.RunID, cur.RunID)
				}
			}
			if prev == nil || end.After(prevEnd) {
				prev, prevEnd = cur, end
			}
		}
	}
	return nil
}
