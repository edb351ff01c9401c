// Package view is the JSON wire format of everything pipeline prints as
// data: the --json output of the CLI's query and run commands and the API of
// `pipeline serve`. One set of types serves both, so the CLI and the server
// print the same document for the same query.
//
// The format is stable: keys are lower_snake_case; times are RFC 3339 in
// UTC, or null when unset; lists are [] (never null). The types copy what a
// reader needs from the state types and leave out internal fields such as a
// run's evaluated plan and options.
package view

import (
	"slices"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// Run is one recorded run. Status is the display status: a run recorded
// as running whose process is gone is "crashed".
type Run struct {
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

// Node is the recorded state of one plan node (step, gate, release,
// deployment) of a run.
type Node struct {
	NodeID     string     `json:"node_id"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	Attempts   int        `json:"attempts"`
	ExitCode   int        `json:"exit_code"`
	Reason     string     `json:"reason"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// Artifact is a file of a release in the content-addressed artifact store.
type Artifact struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Image is a Docker image built for a release.
type Image struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	Tag  string `json:"tag"`
}

// Release is an immutable release.
type Release struct {
	ID           string     `json:"id"`
	Pipeline     string     `json:"pipeline"`
	Version      string     `json:"version"`
	Commit       string     `json:"commit"`
	Branch       string     `json:"branch"`
	Author       string     `json:"author"`
	ConfigDigest string     `json:"config_digest"`
	Digest       string     `json:"digest"`
	RunID        string     `json:"run_id"`
	Artifacts    []Artifact `json:"artifacts"`
	Images       []Image    `json:"images"`
	CreatedAt    *time.Time `json:"created_at"`
}

// Commit is a git commit carried by a deployment.
type Commit struct {
	SHA     string `json:"sha"`
	Author  string `json:"author"`
	Subject string `json:"subject"`
}

// Deployment is one deployment of a release to an environment.
type Deployment struct {
	ID          string     `json:"id"`
	Pipeline    string     `json:"pipeline"`
	Environment string     `json:"environment"`
	ReleaseID   string     `json:"release_id"`
	Version     string     `json:"version"`
	RunID       string     `json:"run_id"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason"`
	ApprovedBy  []string   `json:"approved_by"`
	Commits     []Commit   `json:"commits"`
	StartedAt   *time.Time `json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at"`
}

// Gate is a gate a run reached. Gate is the declared name.
type Gate struct {
	RunID         string     `json:"run_id"`
	Pipeline      string     `json:"pipeline"`
	Environment   string     `json:"environment"`
	Gate          string     `json:"gate"`
	Status        string     `json:"status"`
	ReleaseDigest string     `json:"release_digest"`
	WaitingSince  *time.Time `json:"waiting_since"`
	ExpiresAt     *time.Time `json:"expires_at"`
	// ApproveCommand is the exact CLI command that approves the gate; empty
	// for a gate that can no longer be approved (expired, cancelled).
	ApproveCommand string `json:"approve_command"`
	// ResumeCommand, for an approved gate whose run still waits, is the
	// command that goes on with the run.
	ResumeCommand string `json:"resume_command,omitempty"`
}

// EnvStatus is one environment of a pipeline: the newest successful
// deployment (live, null when none), the newest of any status (latest),
// the gates waiting, the gates past their timeout that no one decided
// (expired, status "expired", no approve command), the gates approved in
// runs that wait for `pipeline resume` (approved, with resume_command) and
// the version `pipeline rollback` would deploy.
type EnvStatus struct {
	Environment    string      `json:"environment"`
	Live           *Deployment `json:"live"`
	Latest         *Deployment `json:"latest"`
	Waiting        []Gate      `json:"waiting"`
	Expired        []Gate      `json:"expired"`
	Approved       []Gate      `json:"approved"`
	RollbackTarget string      `json:"rollback_target"`
}

// PipelineStatus is one pipeline's environments in promotion order.
type PipelineStatus struct {
	Pipeline     string      `json:"pipeline"`
	Environments []EnvStatus `json:"environments"`
}

// AuditEvent is one entry of the append-only audit trail.
type AuditEvent struct {
	Seq         int64      `json:"seq"`
	At          *time.Time `json:"at"`
	Actor       string     `json:"actor"`
	Action      string     `json:"action"`
	Pipeline    string     `json:"pipeline"`
	Environment string     `json:"environment"`
	RunID       string     `json:"run_id"`
	Release     string     `json:"release"`
	Detail      string     `json:"detail"`
	// Signature is a signed approval's signature, absent otherwise.
	Signature *Signature `json:"signature,omitempty"`
}

// Signature is an SSH signature over an approval: the signed payload, the
// armored signature (ssh-keygen -Y verify reads it) and the key's
// fingerprint.
type Signature struct {
	Payload     string `json:"payload"`
	Armored     string `json:"signature"`
	Fingerprint string `json:"key_fingerprint"`
}

// RollbackTarget is the version `pipeline rollback ENV` would deploy.
type RollbackTarget struct {
	Pipeline    string `json:"pipeline"`
	Environment string `json:"environment"`
	Version     string `json:"version"`
}

// LogLine is one masked line of a step's output.
type LogLine struct {
	NodeID  string     `json:"node_id"`
	Attempt int        `json:"attempt"`
	Seq     int64      `json:"seq"`
	Stream  string     `json:"stream"`
	At      *time.Time `json:"at"`
	Text    string     `json:"text"`
}

// Time returns t in UTC, or nil for the zero time so that JSON says null.
func Time(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// NewRun converts a run with its display status.
func NewRun(r engine.RunView) Run {
	status := r.Display
	if status == "" {
		status = r.Status
	}
	return Run{
		ID: r.ID, Pipeline: r.Pipeline, Component: r.Component, Commit: r.Commit,
		Branch: r.Branch, Author: r.Author, ConfigDigest: r.ConfigDigest, Kind: r.Kind,
		Status: status, Reason: r.Reason, ReleaseID: r.ReleaseID, Host: r.Host, PID: r.PID,
		StartedAt: Time(r.StartedAt), FinishedAt: Time(r.FinishedAt),
	}
}

// NewNode converts a node.
func NewNode(n *state.Node) Node {
	return Node{
		NodeID: n.NodeID, Kind: n.Kind, Status: n.Status, Attempts: n.Attempts,
		ExitCode: n.ExitCode, Reason: n.Reason, StartedAt: Time(n.StartedAt), FinishedAt: Time(n.FinishedAt),
	}
}

// NewRelease converts a release.
func NewRelease(r *state.Release) Release {
	out := Release{
		ID: r.ID, Pipeline: r.Pipeline, Version: r.Version, Commit: r.Commit, Branch: r.Branch,
		Author: r.Author, ConfigDigest: r.ConfigDigest, Digest: r.Digest, RunID: r.RunID,
		Artifacts: []Artifact{}, Images: []Image{}, CreatedAt: Time(r.CreatedAt),
	}
	for _, a := range r.Artifacts {
		out.Artifacts = append(out.Artifacts, Artifact{Name: a.Name, Path: a.Path, SHA256: a.SHA256, Size: a.Size})
	}
	for _, i := range r.Images {
		out.Images = append(out.Images, Image{Name: i.Name, ID: i.ID, Tag: i.Tag})
	}
	return out
}

// NewDeployment converts a deployment; it returns nil for nil.
func NewDeployment(d *state.Deployment) *Deployment {
	if d == nil {
		return nil
	}
	out := &Deployment{
		ID: d.ID, Pipeline: d.Pipeline, Environment: d.Environment, ReleaseID: d.ReleaseID,
		Version: d.Version, RunID: d.RunID, Kind: d.Kind, Status: d.Status, Reason: d.Reason,
		ApprovedBy: append([]string{}, d.ApprovedBy...), Commits: []Commit{},
		StartedAt: Time(d.StartedAt), FinishedAt: Time(d.FinishedAt),
	}
	for _, c := range d.Commits {
		out.Commits = append(out.Commits, Commit{SHA: c.SHA, Author: c.Author, Subject: c.Subject})
	}
	return out
}

// NewGate converts a gate and shows its declared name. The store records
// a gate as "ENV/GATE" (a run recorded before that: the bare name); the
// approve command names it as recorded, the form `pipeline approve` always
// accepts, since whether the bare name is unambiguous depends on the run's
// other gates. Only a waiting gate has an approve command.
func NewGate(g *state.Gate) Gate {
	name := strings.TrimPrefix(g.Name, g.Environment+"/")
	out := Gate{
		RunID: g.RunID, Pipeline: g.Pipeline, Environment: g.Environment, Gate: name,
		Status: g.Status, ReleaseDigest: g.ReleaseDigest,
		WaitingSince: Time(g.WaitingSince), ExpiresAt: Time(g.ExpiresAt),
	}
	if g.Status == state.StatusWaiting {
		out.ApproveCommand = engine.GateWait{RunID: g.RunID, Environment: g.Environment, Gate: name, Ref: g.Name}.Command()
	}
	return out
}

// NewEnvStatus converts one environment's status.
func NewEnvStatus(s engine.EnvStatus) EnvStatus {
	out := EnvStatus{
		Environment: s.Environment, Live: NewDeployment(s.Live), Latest: NewDeployment(s.Latest),
		Waiting: []Gate{}, Expired: []Gate{}, Approved: []Gate{}, RollbackTarget: s.RollbackTarget,
	}
	for _, g := range s.Approved {
		gate := NewGate(g)
		gate.ResumeCommand = "pipeline resume " + g.RunID
		out.Approved = append(out.Approved, gate)
	}
	for _, g := range s.Waiting {
		out.Waiting = append(out.Waiting, NewGate(g))
	}
	for _, g := range s.Expired {
		out.Expired = append(out.Expired, NewGate(g))
	}
	return out
}

// NewPipelineStatus converts a pipeline's environment rows.
func NewPipelineStatus(pipeline string, rows []engine.EnvStatus) PipelineStatus {
	out := PipelineStatus{Pipeline: pipeline, Environments: []EnvStatus{}}
	for _, s := range rows {
		out.Environments = append(out.Environments, NewEnvStatus(s))
	}
	return out
}

// NewAuditEvent converts an audit event.
func NewAuditEvent(e *state.AuditEvent) AuditEvent {
	return AuditEvent{
		Seq: e.Seq, At: Time(e.At), Actor: e.Actor, Action: e.Action, Pipeline: e.Pipeline,
		Environment: e.Environment, RunID: e.RunID, Release: e.Release, Detail: e.Detail,
		Signature: newSignature(e.Signature),
	}
}

func newSignature(s *state.Signature) *Signature {
	if s == nil {
		return nil
	}
	return &Signature{Payload: s.Payload, Armored: s.Armored, Fingerprint: s.Fingerprint}
}

// NewRollbackTargets converts a pipeline's rollback targets (environment
// to version), sorted by environment.
func NewRollbackTargets(pipeline string, targets map[string]string) []RollbackTarget {
	envs := make([]string, 0, len(targets))
	for e := range targets {
		envs = append(envs, e)
	}
	slices.Sort(envs)
	out := make([]RollbackTarget, 0, len(envs))
	for _, e := range envs {
		out = append(out, RollbackTarget{Pipeline: pipeline, Environment: e, Version: targets[e]})
	}
	return out
}

// NewLogLine converts a log line.
func NewLogLine(l state.LogLine) LogLine {
	return LogLine{NodeID: l.NodeID, Attempt: l.Attempt, Seq: l.Seq, Stream: l.Stream, At: Time(l.Time), Text: l.Text}
}
