package serve

import (
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// The types below are the JSON API's wire format: stable lower_snake_case
// keys, times as RFC 3339 in UTC or null when unset, lists as [] (never
// null). They copy what a reader needs from the state types and leave out
// internal fields such as a run's evaluated plan and options ([]byte).

type runJSON struct {
	ID           string     `json:"id"`
	Pipeline     string     `json:"pipeline"`
	Component    string     `json:"component"`
	Commit       string     `json:"commit"`
	Branch       string     `json:"branch"`
	Author       string     `json:"author"`
	ConfigDigest string     `json:"config_digest"`
	Kind         string     `json:"kind"`
	Status       string     `json:"status"`
	Reason       string     `json:"reason"`
	ReleaseID    string     `json:"release_id"`
	Host         string     `json:"host"`
	PID          int        `json:"pid"`
	StartedAt    *time.Time `json:"started_at"`
	FinishedAt   *time.Time `json:"finished_at"`
}

type nodeJSON struct {
	NodeID     string     `json:"node_id"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	Attempts   int        `json:"attempts"`
	ExitCode   int        `json:"exit_code"`
	Reason     string     `json:"reason"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

type artifactJSON struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

type imageJSON struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	Tag  string `json:"tag"`
}

type releaseJSON struct {
	ID           string         `json:"id"`
	Pipeline     string         `json:"pipeline"`
	Version      string         `json:"version"`
	Commit       string         `json:"commit"`
	Branch       string         `json:"branch"`
	Author       string         `json:"author"`
	ConfigDigest string         `json:"config_digest"`
	Digest       string         `json:"digest"`
	RunID        string         `json:"run_id"`
	Artifacts    []artifactJSON `json:"artifacts"`
	Images       []imageJSON    `json:"images"`
	CreatedAt    *time.Time     `json:"created_at"`
}

type commitJSON struct {
	SHA     string `json:"sha"`
	Author  string `json:"author"`
	Subject string `json:"subject"`
}

type deploymentJSON struct {
	ID          string       `json:"id"`
	Pipeline    string       `json:"pipeline"`
	Environment string       `json:"environment"`
	ReleaseID   string       `json:"release_id"`
	Version     string       `json:"version"`
	RunID       string       `json:"run_id"`
	Kind        string       `json:"kind"`
	Status      string       `json:"status"`
	Reason      string       `json:"reason"`
	ApprovedBy  []string     `json:"approved_by"`
	Commits     []commitJSON `json:"commits"`
	StartedAt   *time.Time   `json:"started_at"`
	FinishedAt  *time.Time   `json:"finished_at"`
}

type gateJSON struct {
	RunID         string     `json:"run_id"`
	Pipeline      string     `json:"pipeline"`
	Environment   string     `json:"environment"`
	Gate          string     `json:"gate"`
	Status        string     `json:"status"`
	ReleaseDigest string     `json:"release_digest"`
	WaitingSince  *time.Time `json:"waiting_since"`
	ExpiresAt     *time.Time `json:"expires_at"`
	// ApproveCommand is the exact CLI command that approves the gate.
	ApproveCommand string `json:"approve_command"`
}

type envStatusJSON struct {
	Environment    string          `json:"environment"`
	Live           *deploymentJSON `json:"live"`
	Latest         *deploymentJSON `json:"latest"`
	Waiting        []gateJSON      `json:"waiting"`
	RollbackTarget string          `json:"rollback_target"`
}

type pipelineStatusJSON struct {
	Pipeline     string          `json:"pipeline"`
	Environments []envStatusJSON `json:"environments"`
}

type auditJSON struct {
	Seq         int64      `json:"seq"`
	At          *time.Time `json:"at"`
	Actor       string     `json:"actor"`
	Action      string     `json:"action"`
	Pipeline    string     `json:"pipeline"`
	Environment string     `json:"environment"`
	RunID       string     `json:"run_id"`
	Release     string     `json:"release"`
	Detail      string     `json:"detail"`
}

type rollbackTargetJSON struct {
	Pipeline    string `json:"pipeline"`
	Environment string `json:"environment"`
	Version     string `json:"version"`
}

// ts returns t in UTC, or nil for the zero time so that JSON says null.
func ts(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func runView(r engine.RunView) runJSON {
	status := r.Display
	if status == "" {
		status = r.Status
	}
	return runJSON{
		ID: r.ID, Pipeline: r.Pipeline, Component: r.Component, Commit: r.Commit,
		Branch: r.Branch, Author: r.Author, ConfigDigest: r.ConfigDigest, Kind: r.Kind,
		Status: status, Reason: r.Reason, ReleaseID: r.ReleaseID, Host: r.Host, PID: r.PID,
		StartedAt: ts(r.StartedAt), FinishedAt: ts(r.FinishedAt),
	}
}

func nodeView(n *state.Node) nodeJSON {
	return nodeJSON{
		NodeID: n.NodeID, Kind: n.Kind, Status: n.Status, Attempts: n.Attempts,
		ExitCode: n.ExitCode, Reason: n.Reason, StartedAt: ts(n.StartedAt), FinishedAt: ts(n.FinishedAt),
	}
}

func releaseView(r *state.Release) releaseJSON {
	out := releaseJSON{
		ID: r.ID, Pipeline: r.Pipeline, Version: r.Version, Commit: r.Commit, Branch: r.Branch,
		Author: r.Author, ConfigDigest: r.ConfigDigest, Digest: r.Digest, RunID: r.RunID,
		Artifacts: []artifactJSON{}, Images: []imageJSON{}, CreatedAt: ts(r.CreatedAt),
	}
	for _, a := range r.Artifacts {
		out.Artifacts = append(out.Artifacts, artifactJSON{Name: a.Name, Path: a.Path, SHA256: a.SHA256, Size: a.Size})
	}
	for _, i := range r.Images {
		out.Images = append(out.Images, imageJSON{Name: i.Name, ID: i.ID, Tag: i.Tag})
	}
	return out
}

// deploymentView returns nil for a nil deployment.
func deploymentView(d *state.Deployment) *deploymentJSON {
	if d == nil {
		return nil
	}
	out := &deploymentJSON{
		ID: d.ID, Pipeline: d.Pipeline, Environment: d.Environment, ReleaseID: d.ReleaseID,
		Version: d.Version, RunID: d.RunID, Kind: d.Kind, Status: d.Status, Reason: d.Reason,
		ApprovedBy: append([]string{}, d.ApprovedBy...), Commits: []commitJSON{},
		StartedAt: ts(d.StartedAt), FinishedAt: ts(d.FinishedAt),
	}
	for _, c := range d.Commits {
		out.Commits = append(out.Commits, commitJSON{SHA: c.SHA, Author: c.Author, Subject: c.Subject})
	}
	return out
}

// gateView shows the gate's declared name. The store records a gate as
// "ENV/GATE" (a run recorded before that: the bare name); the approve
// command names it as recorded, the form `pipeline approve` always
// accepts, since whether the bare name is unambiguous depends on the
// run's other gates.
func gateView(g *state.Gate) gateJSON {
	name := strings.TrimPrefix(g.Name, g.Environment+"/")
	return gateJSON{
		RunID: g.RunID, Pipeline: g.Pipeline, Environment: g.Environment, Gate: name,
		Status: g.Status, ReleaseDigest: g.ReleaseDigest,
		WaitingSince: ts(g.WaitingSince), ExpiresAt: ts(g.ExpiresAt),
		ApproveCommand: engine.GateWait{RunID: g.RunID, Environment: g.Environment, Gate: name, Ref: g.Name}.Command(),
	}
}

func envStatusView(s engine.EnvStatus) envStatusJSON {
	out := envStatusJSON{
		Environment: s.Environment, Live: deploymentView(s.Live), Latest: deploymentView(s.Latest),
		Waiting: []gateJSON{}, RollbackTarget: s.RollbackTarget,
	}
	for _, g := range s.Waiting {
		out.Waiting = append(out.Waiting, gateView(g))
	}
	return out
}

func auditView(e *state.AuditEvent) auditJSON {
	return auditJSON{
		Seq: e.Seq, At: ts(e.At), Actor: e.Actor, Action: e.Action, Pipeline: e.Pipeline,
		Environment: e.Environment, RunID: e.RunID, Release: e.Release, Detail: e.Detail,
	}
}
