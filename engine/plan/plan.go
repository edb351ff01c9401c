// Package plan turns a validated dsl.Config into an ordered, deterministic
// Plan: a DAG of nodes (steps, gates, the release point and each
// environment's deployment) with depths, waves and a critical path, and
// renders it as text, JSON, Graphviz DOT and Mermaid.
//
// The package is pure: it does no I/O beyond the writers it is given, runs
// nothing, reads no state, and takes run-time values (run.*, release.*)
// through Options.Scope.
//
// # Shape of the DAG
//
// Edges point from a node to the nodes it needs (dag.Graph convention).
//
//   - A step of a build, test or package stage is "KIND.STAGE.STEP"
//     (build.webapp.compile). Steps of a stage run in parallel unless a step
//     says needs = [step.x]. Steps with no sibling needs are the stage's
//     entry steps; they need the stage's upstream.
//   - Every build, test and package stage has a stage node "KIND.STAGE"
//     (kind "stage"): it does no work and succeeds once every step of the
//     stage has. Downstream stages need the stage node, not the steps, so
//     the number of edges stays linear; a stage without steps (a package
//     stage with only artifacts) is just its stage node and still orders
//     correctly.
//   - Upstream of a stage: the stages it names in needs; without needs, every
//     stage of the nearest earlier kind (build -> test -> package) that is in
//     the plan.
//   - "release" (kind "release") exists when the config has package stages:
//     it needs every package stage and is where the release is recorded.
//   - An environment is "environment.NAME" (kind "deploy": records the
//     deployment and checks the promotion rules), then its gates
//     "environment.NAME.gate.GATE" (kind "gate", all needing the deploy node,
//     in parallel), then its steps "environment.NAME.STEP", whose entry steps
//     need every gate (or the deploy node when there is no gate). The
//     environment's final nodes (EnvNode.Final) are its steps that no sibling
//     needs, else its gates, else the deploy node; the deployment has
//     succeeded when they all have.
//   - The deploy node needs "release" when there is one (otherwise the
//     stages of the nearest earlier kind, or its needs), and for requires =
//     [environment.beta] it needs every final node of beta.
//
// Node IDs, orderings and renderings are sorted, so a config always gives
// byte-identical output.
package plan

import (
	"time"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/dag"
)

// NodeKind says what a node does when the plan runs.
type NodeKind string

const (
	// KindStep runs a step through a runner.
	KindStep NodeKind = "step"
	// KindStage marks the end of a build, test or package stage; it does no
	// work and succeeds once every step of the stage succeeded.
	KindStage NodeKind = "stage"
	// KindRelease records the release once every package stage succeeded.
	KindRelease NodeKind = "release"
	// KindDeploy starts an environment's deployment and checks its
	// promotion rules (requires, branches).
	KindDeploy NodeKind = "deploy"
	// KindGate waits for a manual approval.
	KindGate NodeKind = "gate"
)

// ReleaseID is the ID of the release node.
const ReleaseID = "release"

// Node is one vertex of the plan. Exactly one of Step, Gate, Env and
// Release is set, matching Kind; stage nodes have none.
type Node struct {
	ID        string
	Kind      NodeKind
	Stage     string // stage address; "" for release
	StageKind dsl.StageKind

	Step    *StepNode
	Gate    *GateNode
	Env     *EnvNode
	Release *ReleaseNode

	// Needs and Dependents are the IDs of the direct neighbours, sorted.
	Needs      []string
	Dependents []string
	// Depth is the node's wave: the longest chain of working nodes (every
	// kind but stage) before it. Stage nodes share the wave of the work
	// that follows them.
	Depth int

	// StageDef is the stage block the node comes from; nil for release.
	StageDef *dsl.Stage
}

// Name returns the node ID, so *Node is a dag.Vertex.
func (n *Node) Name() string { return n.ID }

var _ dag.Vertex = (*Node)(nil)

// StepNode is a step with its evaluated values.
type StepNode struct {
	Name string
	// Values holds the attributes evaluated with Options.Scope; parts that
	// depend on run-time values are unknown (Text.Known false).
	Values     *dsl.StepValues
	Timeout    time.Duration
	Retries    int
	Runner     string
	Pull       string
	Privileged bool
	Mounts     []string
	Secrets    []string
	Needs      []string // sibling step names
	// Inputs and Outputs are the step's file globs; a step with inputs is
	// reusable (see engine/cache). Caches are container paths kept in
	// named volumes. User is the container user ("" for the default: the
	// invoking user when the workspace is mounted). NoWorkspace is
	// workspace = false.
	Inputs      []string
	Outputs     []string
	Caches      []string
	User        string
	NoWorkspace bool
	// Shared is true when the step runs as an exec in its stage's shared
	// container (stage container = "shared" and the step uses the stage's
	// image; see markShared).
	Shared bool
	// Def is the step block, for evaluating it again once run-time values
	// are known (dsl.Config.EvalStep).
	Def *dsl.Step
}

// GateNode is a manual approval gate of an environment.
type GateNode struct {
	Environment         string
	Name                string
	Approvers           []string
	PreventSelfApproval bool
	Timeout             time.Duration
	Wait                time.Duration
	// Signed requires SSH-signed approvals (engine/signoff).
	Signed bool
}

// EnvNode is an environment's deployment point.
type EnvNode struct {
	Name     string   `json:"name"`
	Requires []string `json:"requires"` // environment names
	Branches []string `json:"branches"` // empty: any branch
	Gates    []string `json:"gates"`    // gate node IDs
	// Final lists the node IDs whose success completes the deployment.
	Final []string `json:"final"`
}

// ReleaseNode is the release point.
type ReleaseNode struct {
	Packages  []string // package stage addresses
	Artifacts []ReleaseArtifact
	Images    []ReleaseImage
}

// ReleaseArtifact is an artifact the release will carry.
type ReleaseArtifact struct {
	Stage string
	Name  string
	Path  dsl.Text
}

// ReleaseImage is an image the release will carry.
type ReleaseImage struct {
	Stage      string
	Name       string
	Context    dsl.Text
	Dockerfile dsl.Text
}

// Options selects what to plan and supplies run-time values.
type Options struct {
	// Only keeps the named stages and everything they need. A name is a
	// stage address ("test.unit"), a kind ("test": every stage of it) or
	// an environment name ("beta").
	Only []string
	// Skip leaves the named stages out (same names as Only). Leaving out a
	// stage that a kept stage needs explicitly is a *SelectionError;
	// leaving out a stage it follows only by kind order is allowed.
	Skip []string
	// Until keeps only the named environment and the environments it
	// requires; later ones are left out.
	Until string
	// Scope holds run.* and release.* values; empty fields stay unknown.
	Scope dsl.Scope
	// AllowPrivileged mirrors --allow-privileged: without it, New refuses
	// a plan whose steps ask for privileged mode, host bind mounts or the
	// Docker socket (*PrivilegeError).
	AllowPrivileged bool
}

// Selection records the options a plan was made with.
type Selection struct {
	Only  []string `json:"only,omitempty"`
	Skip  []string `json:"skip,omitempty"`
	Until string   `json:"until,omitempty"`
}

// Plan is an ordered DAG of nodes. It is immutable once New returns and
// safe for concurrent reads.
type Plan struct {
	Pipeline    string
	Description string
	Version     dsl.Text
	Source      dsl.Source
	Selection   Selection
	// Nodes lists every node sorted by ID.
	Nodes []*Node
	// Waves groups the IDs of working nodes (every kind but stage) by
	// Depth: each wave can run in parallel once earlier waves are done.
	Waves [][]string
	// CriticalPath is the longest chain of working nodes, first to last.
	CriticalPath []string
	// Graph holds the nodes as vertices (*Node).
	Graph *dag.Graph
	// Config is the config the plan was made from.
	Config *dsl.Config

	byID map[string]*Node
}

// Node returns the node with the given ID, or nil.
func (p *Plan) Node(id string) *Node { return p.byID[id] }

// Steps returns the step nodes in wave order (ties by ID).
func (p *Plan) Steps() []*Node {
	var out []*Node
	for _, wave := range p.Waves {
		for _, id := range wave {
			if n := p.byID[id]; n.Kind == KindStep {
				out = append(out, n)
			}
		}
	}
	return out
}
