// Package state records runs, steps, logs, releases, deployments, gates,
// approvals, the audit trail and environment locks behind one Store
// interface, with SQLite, PostgreSQL and in-memory implementations that pass
// one shared test suite (statetest). It stores evaluated data only and must
// not import dsl or hcl.
package state

import (
	"context"
	"errors"
	"time"
)

// Store is the whole state store. Implementations are safe for concurrent
// use by several goroutines and, for SQLite and PostgreSQL, by several
// processes. Every method that writes more than one row does so in one
// transaction: a killed process never leaves half of a write behind.
type Store interface {
	RunStore
	ReleaseStore
	DeploymentStore
	GateStore
	AuditStore
	LockStore
	GroupStore
	CacheStore
	// Close releases the store's connections.
	Close() error
}

var (
	// ErrNotFound reports a run, release, deployment or gate that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrReleaseExists reports a second release with the same pipeline and version.
	ErrReleaseExists = errors.New("release already exists")
	// ErrLocked reports a lock held by someone else.
	ErrLocked = errors.New("locked")
	// ErrConflict reports an update that lost a race (a compare-and-swap that
	// found a different value than expected).
	ErrConflict = errors.New("conflicting update")
	// ErrUnavailable reports a state store that stayed unreachable for the
	// whole retry budget.
	ErrUnavailable = errors.New("the state store is unavailable")
)

// Run statuses. A node (step, gate, deployment) uses the same words plus
// NodePending and NodeSkipped.
const (
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
	StatusWaiting   = "waiting" // stopped at a gate
	StatusRejected  = "rejected"
	StatusExpired   = "expired"

	NodePending = "pending"
	NodeSkipped = "skipped"
)

// Run is one execution of a pipeline for one commit.
type Run struct {
	ID       string
	Pipeline string
	// Component is the config directory relative to the repository root
	// ("." for the root), so a monorepo's components share one store.
	Component    string
	Commit       string
	Branch       string
	Author       string
	ConfigDigest string
	// Kind is "run", "deploy" or "rollback".
	Kind   string
	Status string
	// Reason explains a failed, cancelled or waiting status in one sentence.
	Reason string
	// Plan is the evaluated plan as JSON, so resume needs no config
	// evaluation to know what to run.
	Plan []byte
	// Options is the run's options as JSON (selection, variables, flags).
	Options    []byte
	ReleaseID  string // set once the run created or deploys a release
	Host       string // host name of the process that runs it
	PID        int    // process id of that process; 0 when no process runs it
	StartedAt  time.Time
	FinishedAt time.Time // zero while running or waiting
}

// Node is the recorded state of one plan node (a step, a gate, a deployment)
// in a run. It is updated as the node progresses.
type Node struct {
	RunID      string
	NodeID     string // e.g. "build.webapp.compile", "environment.production.gate.go-live"
	Kind       string // "step", "gate", "release", "deploy"
	Status     string
	Attempts   int
	ExitCode   int
	Reason     string // skip reason, error, timeout
	StartedAt  time.Time
	FinishedAt time.Time
}

// LogLine is one line of a step's output, already masked.
type LogLine struct {
	RunID   string
	NodeID  string
	Attempt int
	Seq     int64 // order within the node and attempt, from 0
	Stream  string
	Time    time.Time
	Text    string
}

// RunFilter selects runs; zero fields match everything.
type RunFilter struct {
	Pipeline string
	Status   string
	Limit    int // 0: no limit
}

// RunStore records runs, their nodes and logs.
type RunStore interface {
	// CreateRun stores r. An empty r.ID is replaced by NewID(); a duplicate
	// ID returns an error wrapping ErrConflict.
	CreateRun(ctx context.Context, r *Run) error
	// UpdateRun overwrites the run's mutable fields (status, reason,
	// release, host, pid, finished); an unknown run returns ErrNotFound.
	UpdateRun(ctx context.Context, r *Run) error
	// GetRun returns ErrNotFound for an unknown id.
	GetRun(ctx context.Context, id string) (*Run, error)
	// ListRuns returns runs newest first.
	ListRuns(ctx context.Context, f RunFilter) ([]*Run, error)
	// Pipelines returns the name of every pipeline with at least one
	// recorded run, sorted, each once; an empty store returns none.
	Pipelines(ctx context.Context) ([]string, error)
	// PutNode inserts or replaces the node (RunID, NodeID); an unknown run
	// returns ErrNotFound.
	PutNode(ctx context.Context, n *Node) error
	// Nodes returns a run's nodes ordered by NodeID.
	Nodes(ctx context.Context, runID string) ([]*Node, error)
	// AppendLogs stores lines in one transaction. A line of an unknown run
	// returns ErrNotFound; a line whose (RunID, NodeID, Attempt, Seq) is
	// already stored returns ErrConflict; either way no line is stored.
	AppendLogs(ctx context.Context, lines []LogLine) error
	// Logs returns a node's lines ordered by attempt and Seq; an empty
	// nodeID returns every node's lines ordered by time, node and Seq.
	Logs(ctx context.Context, runID, nodeID string) ([]LogLine, error)
	// StreamLogs calls fn for each line Logs would return, in the same
	// order, holding only a bounded part of the log in memory; it stops
	// at and returns fn's first error as is.
	StreamLogs(ctx context.Context, runID, nodeID string, fn func(LogLine) error) error
	// LogAttempts returns, by node ID, the attempts that have log lines,
	// ascending.
	LogAttempts(ctx context.Context, runID string) (map[string][]int, error)
}

// Release is an immutable, versioned result of a run's package stages.
type Release struct {
	ID           string
	Pipeline     string
	Version      string
	Commit       string
	Branch       string
	Author       string
	ConfigDigest string
	// Digest is "sha256:..." over the release's identity: pipeline,
	// version, commit, config digest, artifacts and images. Approvals bind
	// to it.
	Digest    string
	RunID     string
	Artifacts []Artifact
	Images    []Image
	CreatedAt time.Time
}

// Artifact is a file in the content-addressed artifact store.
type Artifact struct {
	Name   string
	Path   string // path the file was collected from, relative to the workspace
	SHA256 string // hex
	Size   int64
}

// Image is a Docker image built for a release.
type Image struct {
	Name string
	ID   string // "sha256:..."
	Tag  string // local tag, e.g. "pipeline/webapp-webapp:1.4.7"
}

// ReleaseStore records releases.
type ReleaseStore interface {
	// CreateRelease stores r with its artifacts and images in one
	// transaction, or returns ErrReleaseExists. An empty r.ID is replaced by
	// NewID() and a zero CreatedAt by the current time.
	CreateRelease(ctx context.Context, r *Release) error
	// GetRelease and ReleaseByVersion return ErrNotFound for an unknown release.
	GetRelease(ctx context.Context, id string) (*Release, error)
	ReleaseByVersion(ctx context.Context, pipeline, version string) (*Release, error)
	// ListReleases returns a pipeline's releases newest first; limit 0: all.
	ListReleases(ctx context.Context, pipeline string, limit int) ([]*Release, error)
}

// Deployment kinds.
const (
	DeployKindRun      = "run"      // part of a pipeline run
	DeployKindPromote  = "promote"  // pipeline deploy ENV --release V
	DeployKindRollback = "rollback" // pipeline rollback ENV
)

// Deployment is one deployment of a release to an environment.
type Deployment struct {
	ID          string
	Pipeline    string
	Environment string
	ReleaseID   string
	Version     string
	RunID       string
	Kind        string
	Status      string // running, succeeded, failed, cancelled
	Reason      string
	ApprovedBy  []string
	Commits     []Commit // commits since the previous successful deployment
	StartedAt   time.Time
	FinishedAt  time.Time
}

// Commit is one git commit carried by a deployment.
type Commit struct {
	SHA     string
	Author  string
	Subject string
}

// DeploymentFilter selects deployments; zero fields match everything.
type DeploymentFilter struct {
	Pipeline    string
	Environment string
	Status      string
	ReleaseID   string
	Limit       int // 0: no limit
}

// DeploymentStore records deployments.
type DeploymentStore interface {
	// CreateDeployment stores d. An empty d.ID is replaced by NewID(); a
	// duplicate ID returns an error wrapping ErrConflict.
	CreateDeployment(ctx context.Context, d *Deployment) error
	// UpdateDeployment overwrites the mutable fields (status, reason,
	// approved by, commits, finished); an unknown deployment returns ErrNotFound.
	UpdateDeployment(ctx context.Context, d *Deployment) error
	// GetDeployment returns ErrNotFound for an unknown id.
	GetDeployment(ctx context.Context, id string) (*Deployment, error)
	// ListDeployments returns deployments newest first (by StartedAt, then ID).
	ListDeployments(ctx context.Context, f DeploymentFilter) ([]*Deployment, error)
}

// Gate is a gate reached by a run.
type Gate struct {
	RunID       string
	Pipeline    string
	Environment string
	Name        string // unique within the run; the engine records "ENV/GATE"
	Status      string // waiting, approved, rejected, expired, cancelled (its run was cancelled)
	// ReleaseDigest is the digest of the release the gate guards; an
	// approval counts only for this digest.
	ReleaseDigest string
	WaitingSince  time.Time
	ExpiresAt     time.Time // zero: never
	DecidedAt     time.Time
}

// Approval is one decision on a gate.
type Approval struct {
	RunID         string
	Gate          string
	By            string
	Decision      string // "approve" or "reject"
	Comment       string
	ReleaseDigest string
	At            time.Time
	// Signature is the approver's SSH signature over the approval, or nil.
	Signature *Signature
}

// Signature is an SSH signature (OpenSSH's SSHSIG format) over a signed
// approval's payload; see engine/signoff.
type Signature struct {
	Payload     string // the exact signed text
	Armored     string // "-----BEGIN SSH SIGNATURE-----" ...
	Fingerprint string // the signing key, "SHA256:..."
}

// GateStore records gates and decisions on them.
type GateStore interface {
	// PutGate inserts or replaces the gate (RunID, Name); an unknown run
	// returns ErrNotFound.
	PutGate(ctx context.Context, g *Gate) error
	// GetGate returns ErrNotFound for a gate that was never put.
	GetGate(ctx context.Context, runID, name string) (*Gate, error)
	// WaitingGates returns gates still waiting, oldest first; an empty
	// pipeline matches every pipeline.
	WaitingGates(ctx context.Context, pipeline string) ([]*Gate, error)
	// AddApproval appends a decision; a gate that was never put returns
	// ErrNotFound. A zero At is replaced by the current time.
	AddApproval(ctx context.Context, a *Approval) error
	// Approvals returns a gate's decisions in the order they were added.
	Approvals(ctx context.Context, runID, gate string) ([]*Approval, error)
}

// AuditEvent is one entry of the append-only audit trail.
type AuditEvent struct {
	Seq         int64 // assigned by the store, increasing
	At          time.Time
	Actor       string
	Action      string // "approve", "reject", "expire", "rollback", "deploy", "lock_takeover", ...
	Pipeline    string
	Environment string
	RunID       string
	Release     string // version
	Detail      string
	// Signature is the signature of a signed approval, or nil.
	Signature *Signature
}

// AuditStore is the append-only audit trail. There is no update or delete.
type AuditStore interface {
	// AppendAudit stores e and sets e.Seq; a zero At is replaced by the
	// current time.
	AppendAudit(ctx context.Context, e *AuditEvent) error
	// Audit returns events oldest first; an empty pipeline matches every
	// pipeline. A positive limit keeps the newest limit events (still oldest
	// first); 0 returns all.
	Audit(ctx context.Context, pipeline string, limit int) ([]*AuditEvent, error)
}

// Lock is a per-pipeline, per-environment deployment lock with a lease.
type Lock struct {
	Key        string // "pipeline/environment"
	Holder     string // run id
	Host       string
	PID        int
	AcquiredAt time.Time
	ExpiresAt  time.Time
}

// LockStore implements leased locks.
type LockStore interface {
	// TryLock takes l.Key for l.Holder if it is free, expired (ExpiresAt
	// before now) or already held by l.Holder. When someone else holds it,
	// TryLock returns the current lock and an error wrapping ErrLocked.
	// On success it returns the stored lock: a zero l.AcquiredAt becomes
	// now, and a re-entrant TryLock keeps the first AcquiredAt and takes
	// l's lease, host and pid. A zero ExpiresAt is a lock without lease
	// (see Lock.Expired).
	TryLock(ctx context.Context, l *Lock, now time.Time) (*Lock, error)
	// TakeOver replaces the lock held by prev.Holder with l, atomically; it
	// returns ErrConflict when the lock is no longer held by prev.Holder
	// (including when it was released). prev.Key and l.Key must be equal.
	// The engine calls it after proving the holder's process is gone.
	TakeOver(ctx context.Context, prev, l *Lock) error
	// Renew sets the lease (ExpiresAt) of the lock l.Key held by l.Holder;
	// it returns ErrConflict when l.Holder no longer holds it.
	Renew(ctx context.Context, l *Lock) error
	// Unlock releases key if holder holds it; releasing a free lock, or one
	// held by someone else, does nothing and is not an error.
	Unlock(ctx context.Context, key, holder string) error
	// GetLock returns the lock row for key, expired or not, or ErrNotFound.
	GetLock(ctx context.Context, key string) (*Lock, error)
}

// GroupStore keeps approver groups defined outside the config.
type GroupStore interface {
	SetGroup(ctx context.Context, name string, members []string) error
	// GroupMembers returns ErrNotFound for an unknown group.
	GroupMembers(ctx context.Context, name string) ([]string, error)
}
