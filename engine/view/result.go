package view

import (
	"github.com/pipeline-cd/pipeline/engine"
)

// RunResult is what `pipeline run|resume|deploy|rollback --json` prints on
// stdout once the run ends: the run's outcome, the process exit code, the
// release (null when the run has none), the gates the run waits at with
// the exact commands to decide them, and the deployments the run made.
type RunResult struct {
	RunID    string `json:"run_id"`
	Pipeline string `json:"pipeline"`
	// Kind is "run", "deploy" or "rollback".
	Kind   string `json:"kind"`
	Status string `json:"status"`
	// ExitCode is the code the process exits with: 0 success, 1 failed,
	// 2 bad usage or invalid config, 3 stopped at a gate.
	ExitCode int    `json:"exit_code"`
	Reason   string `json:"reason"`
	// Error is the error message printed on stderr; "" on success and at
	// a gate.
	Error       string              `json:"error"`
	Release     *ReleaseRef         `json:"release"`
	Waiting     []WaitingGate       `json:"waiting"`
	Deployments []DeploymentOutcome `json:"deployments"`
	// ResumeCommand continues the run once its gates are approved; "" when
	// nothing waits.
	ResumeCommand string `json:"resume_command"`
	// WallSeconds is the run's wall time; CriticalPath is its longest chain
	// of nodes by measured duration, and CriticalPathSeconds the sum of
	// their durations. Zero and empty when nothing ran.
	WallSeconds         float64  `json:"wall_seconds"`
	CriticalPath        []string `json:"critical_path"`
	CriticalPathSeconds float64  `json:"critical_path_seconds"`
}

// ReleaseRef names a release.
type ReleaseRef struct {
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// WaitingGate is a gate a run stopped at. Gate is the declared name;
// ApproveCommand and RejectCommand are the exact commands to run.
type WaitingGate struct {
	Environment    string   `json:"environment"`
	Gate           string   `json:"gate"`
	Approvers      []string `json:"approvers"`
	ApproveCommand string   `json:"approve_command"`
	RejectCommand  string   `json:"reject_command"`
}

// DeploymentOutcome is one deployment a run made.
type DeploymentOutcome struct {
	ID          string `json:"id"`
	Environment string `json:"environment"`
	Version     string `json:"version"`
	Status      string `json:"status"`
}

// NewRunResult converts the outcome of a run. gates are the gates the run
// waits at (nil: none); prefix is the command that starts a follow-up
// command line, "pipeline" plus the global flags it needs. The caller sets
// ExitCode and Error.
func NewRunResult(res *engine.RunResult, runID string, gates []engine.GateWait, prefix string) RunResult {
	out := RunResult{RunID: runID, Waiting: []WaitingGate{}, Deployments: []DeploymentOutcome{}}
	if res != nil && res.Run != nil {
		r := res.Run
		out.RunID, out.Pipeline, out.Kind, out.Status, out.Reason = r.ID, r.Pipeline, r.Kind, r.Status, r.Reason
	}
	if res != nil && res.Release != nil {
		out.Release = &ReleaseRef{Version: res.Release.Version, Digest: res.Release.Digest}
	}
	out.CriticalPath = []string{}
	if res != nil && res.Exec != nil {
		out.WallSeconds = res.Exec.Wall.Seconds()
		for _, id := range res.Exec.CriticalPath {
			out.CriticalPath = append(out.CriticalPath, id)
			if n := res.Exec.Nodes[id]; n != nil {
				out.CriticalPathSeconds += n.Duration().Seconds()
			}
		}
	}
	if res != nil {
		for _, d := range res.Deployments {
			out.Deployments = append(out.Deployments, DeploymentOutcome{ID: d.ID, Environment: d.Environment, Version: d.Version, Status: d.Status})
		}
	}
	for _, g := range gates {
		out.Waiting = append(out.Waiting, WaitingGate{
			Environment: g.Environment, Gate: g.Gate, Approvers: append([]string{}, g.Approvers...),
			ApproveCommand: prefix + " approve " + out.RunID + " " + g.Arg(),
			RejectCommand:  prefix + " reject " + out.RunID + " " + g.Arg(),
		})
	}
	if len(gates) > 0 {
		out.ResumeCommand = prefix + " resume " + out.RunID
	}
	return out
}
