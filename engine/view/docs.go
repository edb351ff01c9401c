package view

import (
	"time"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/history"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// The documents below are the top-level JSON objects: `pipeline X --json`
// prints the same document as the server's /api/X.

// Status is `pipeline status --json` and /api/status.
type Status struct {
	// Store names the state store, with any password redacted.
	Store       string           `json:"store"`
	GeneratedAt *time.Time       `json:"generated_at"`
	Pipelines   []PipelineStatus `json:"pipelines"`
}

// Runs is `pipeline runs --json` and /api/runs.
type Runs struct {
	Runs []Run `json:"runs"`
}

// RunDetail is /api/runs/{id}: one run with its nodes.
type RunDetail struct {
	Run   Run    `json:"run"`
	Nodes []Node `json:"nodes"`
}

// Releases is `pipeline releases --json` and /api/releases.
type Releases struct {
	Releases []Release `json:"releases"`
}

// History is `pipeline history --json` and /api/history: deployments
// newest first and the rollback target of each environment that has one.
type History struct {
	Deployments     []*Deployment    `json:"deployments"`
	RollbackTargets []RollbackTarget `json:"rollback_targets"`
}

// Audit is `pipeline audit --json` and /api/audit: events oldest first.
type Audit struct {
	Events []AuditEvent `json:"events"`
}

// Logs is `pipeline logs --json`: a run's masked log lines, of one step
// when Step is set.
type Logs struct {
	RunID string    `json:"run_id"`
	Step  string    `json:"step"`
	Lines []LogLine `json:"lines"`
}

// Decision is `pipeline approve --json` and `pipeline reject --json`: the
// recorded decision and the run's status after it.
type Decision struct {
	RunID         string     `json:"run_id"`
	Pipeline      string     `json:"pipeline"`
	Environment   string     `json:"environment"`
	Gate          string     `json:"gate"`
	Decision      string     `json:"decision"`
	By            string     `json:"by"`
	Comment       string     `json:"comment"`
	ReleaseDigest string     `json:"release_digest"`
	At            *time.Time `json:"at"`
	RunStatus     string     `json:"run_status"`
}

// GC is `pipeline gc --json`: what was removed.
type GC struct {
	Containers int `json:"containers"`
	TempFiles  int `json:"temp_files"`
	Checkouts  int `json:"checkouts"`
}

// NewRuns converts a list of runs.
func NewRuns(runs []engine.RunView) Runs {
	out := Runs{Runs: []Run{}}
	for _, r := range runs {
		out.Runs = append(out.Runs, NewRun(r))
	}
	return out
}

// NewRunDetail converts a run and its nodes.
func NewRunDetail(run engine.RunView, nodes []*state.Node) RunDetail {
	out := RunDetail{Run: NewRun(run), Nodes: []Node{}}
	for _, n := range nodes {
		out.Nodes = append(out.Nodes, NewNode(n))
	}
	return out
}

// NewReleases converts a list of releases.
func NewReleases(rels []*state.Release) Releases {
	out := Releases{Releases: []Release{}}
	for _, r := range rels {
		out.Releases = append(out.Releases, NewRelease(r))
	}
	return out
}

// NewHistory converts deployments and rollback targets (nil: none).
func NewHistory(deps []*state.Deployment, targets []RollbackTarget) History {
	out := History{Deployments: []*Deployment{}, RollbackTargets: []RollbackTarget{}}
	for _, d := range deps {
		out.Deployments = append(out.Deployments, NewDeployment(d))
	}
	out.RollbackTargets = append(out.RollbackTargets, targets...)
	return out
}

// NewAudit converts audit events, keeping their order.
func NewAudit(evs []*state.AuditEvent) Audit {
	out := Audit{Events: []AuditEvent{}}
	for _, e := range evs {
		out.Events = append(out.Events, NewAuditEvent(e))
	}
	return out
}

// NewLogs converts a run's log lines.
func NewLogs(runID, step string, lines []state.LogLine) Logs {
	out := Logs{RunID: runID, Step: step, Lines: []LogLine{}}
	for _, l := range lines {
		out.Lines = append(out.Lines, NewLogLine(l))
	}
	return out
}

// NewDecision converts the result of an approval or a rejection.
func NewDecision(r *engine.DecisionResult) Decision {
	out := Decision{RunID: r.Approval.RunID, Decision: r.Approval.Decision, By: r.Approval.By,
		Comment: r.Approval.Comment, ReleaseDigest: r.Approval.ReleaseDigest, At: Time(r.Approval.At), Gate: r.Approval.Gate}
	if r.Gate != nil {
		g := NewGate(r.Gate)
		out.Pipeline, out.Environment, out.Gate = g.Pipeline, g.Environment, g.Gate
	}
	if r.Run != nil {
		out.RunStatus = r.Run.Status
	}
	return out
}

// NewGC converts a garbage collection result.
func NewGC(r *engine.GCResult) GC {
	return GC{Containers: r.Containers, TempFiles: r.TempFiles, Checkouts: r.Checkouts}
}

// LiveAt is `pipeline history --env ENV --at TIME --json`: the release
// live in the environment at that moment (since when, until when; until is
// null while it is still live), the release live before it (null for the
// first one), and the component's commits the live release has and the
// previous one has not (added), and the other way round (removed, when the
// environment went back to an older release).
type LiveAt struct {
	Pipeline    string       `json:"pipeline"`
	Environment string       `json:"environment"`
	At          *time.Time   `json:"at"`
	Live        LiveRelease  `json:"live"`
	Previous    *LiveRelease `json:"previous"`
	Added       []Commit     `json:"added"`
	Removed     []Commit     `json:"removed"`
}

// LiveRelease is a release as it was live in an environment: the
// deployment (and its run and kind) that put it live.
type LiveRelease struct {
	Version      string     `json:"version"`
	ReleaseID    string     `json:"release_id"`
	Commit       string     `json:"commit"`
	DeploymentID string     `json:"deployment_id"`
	RunID        string     `json:"run_id"`
	Kind         string     `json:"kind"`
	Since        *time.Time `json:"since"`
	Until        *time.Time `json:"until"`
}

// NewLiveAt converts a history report.
func NewLiveAt(pipeline string, r *history.Report) LiveAt {
	out := LiveAt{Pipeline: pipeline, Environment: r.Environment, At: Time(r.At), Live: liveRelease(r.Live),
		Added: commits(r.Added), Removed: commits(r.Removed)}
	if r.Previous != nil {
		p := liveRelease(*r.Previous)
		out.Previous = &p
	}
	return out
}

func liveRelease(e history.Entry) LiveRelease {
	return LiveRelease{Version: e.Version, ReleaseID: e.ReleaseID, Commit: e.Commit, DeploymentID: e.Deployment,
		RunID: e.RunID, Kind: e.Kind, Since: Time(e.Since), Until: Time(e.Until)}
}

func commits(cs []state.Commit) []Commit {
	out := []Commit{}
	for _, c := range cs {
		out = append(out, Commit{SHA: c.SHA, Author: c.Author, Subject: c.Subject})
	}
	return out
}
