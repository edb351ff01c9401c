// Package dsl loads pipeline configuration written in HCL (from a directory
// on disk or from a git ref), decodes it into the typed model in this file,
// evaluates its expressions and reports every problem as an hcl.Diagnostic.
//
// The package knows nothing of execution: it never runs a step, never logs
// and never prints. The engine reads the model and asks this package to
// evaluate step attributes once run-time values (run.*, release.*) are known.
package dsl

import (
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// StageKind is the kind of a stage block. Stages of one kind implicitly wait
// for every stage of the previous kind unless they declare needs.
type StageKind string

const (
	KindBuild       StageKind = "build"
	KindTest        StageKind = "test"
	KindPackage     StageKind = "package"
	KindEnvironment StageKind = "environment"
)

// StageKinds lists the stage kinds in their implicit execution order.
var StageKinds = []StageKind{KindBuild, KindTest, KindPackage, KindEnvironment}

// Config is one pipeline: every *.pipeline.hcl and pipeline.hcl file of a
// directory, decoded. A Config returned together with error diagnostics may
// be partial; callers must not run it.
type Config struct {
	// Dir is the directory the files were loaded from, as the user named it.
	Dir string
	// Source says where the files came from (working tree or a git ref)
	// and carries the digest of their contents.
	Source Source
	// Git holds the git.* context values the config was loaded with.
	Git GitInfo

	Pipeline  *Pipeline
	Variables map[string]*Variable
	// VarValues holds the final value of every variable after defaults,
	// PIPELINE_VAR_ environment variables, -var-file and -var were applied
	// and converted to the declared type.
	VarValues map[string]cty.Value
	Locals    map[string]*Local
	Secrets   map[string]*Secret
	Groups    map[string]*Group
	// Stages lists every build, test, package and environment block in
	// declaration order (file names sorted, then position in file).
	Stages   []*Stage
	Notifies []*Notify
	// StepImages holds the top-level image blocks by name: step images
	// built from the repository, used by steps as image = image.NAME.
	StepImages map[string]*StepImage

	// eval holds what EvalStep and EvalText need: the parsed files, the
	// load-time evaluation context and the declared artifact and image
	// names. It is set by LoadDir and read-only afterwards.
	eval *evaluator
}

// Stage returns the stage with the given kind and name, or nil. On a
// Config returned by LoadDir it is a map lookup.
func (c *Config) Stage(kind StageKind, name string) *Stage {
	if c.eval != nil && c.eval.stages != nil {
		return c.eval.stages[string(kind)+"."+name]
	}
	for _, s := range c.Stages {
		if s.Kind == kind && s.Name == name {
			return s
		}
	}
	return nil
}

// Environments returns the environment stages in declaration order.
func (c *Config) Environments() []*Stage {
	var out []*Stage
	for _, s := range c.Stages {
		if s.Kind == KindEnvironment {
			out = append(out, s)
		}
	}
	return out
}

// Source describes where a Config was read from.
type Source struct {
	// Ref is the git ref the files were read from; empty for the working tree.
	Ref string
	// Commit is the full commit hash the files were read from: the commit
	// Ref resolved to, or HEAD of the working tree's repository. Empty when
	// the directory is not inside a git repository.
	Commit string
	// Digest is "sha256:" followed by the hex digest of the config files
	// (their names relative to Dir and their contents, in sorted order).
	Digest string
	// Files lists the config file names that were loaded, sorted, as they
	// appear in diagnostics (for a ref: "REF:path").
	Files []string
}

// GitInfo holds the values of the git.* context namespace. Fields are empty
// (and the corresponding git.* values unknown) when not known.
type GitInfo struct {
	SHA         string
	ShortSHA    string
	Branch      string
	Tag         string
	Author      string // e-mail address of the commit author
	CommitCount int    // -1 when unknown
	Known       bool   // false when the directory is not in a git repository
	// BranchUnproven, when set, says why Branch (a name a CI variable
	// gave a detached checkout) does not count for `branches` rules and
	// the release's recorded branch: a pull request's head, or a commit
	// not reachable from that branch's ref. git.branch still shows it.
	BranchUnproven string
}

// ProvenBranch returns Branch when it counts for `branches` rules and the
// release's recorded branch, else "" (see BranchUnproven).
func (g GitInfo) ProvenBranch() string {
	if g.BranchUnproven != "" {
		return ""
	}
	return g.Branch
}

// Pipeline is the pipeline block. There is exactly one per config.
type Pipeline struct {
	Name        string
	Description string
	// Version is the release version expression; nil means "use git describe".
	Version hcl.Expression
	// Image is the default image for steps; empty when not set.
	Image     string
	DeclRange hcl.Range
}

// Variable is a variable block.
type Variable struct {
	Name        string
	Description string
	Type        cty.Type // cty.DynamicPseudoType when not declared
	Default     cty.Value
	HasDefault  bool
	// Sensitive marks a value that is never stored and never printed:
	// the engine masks it like a secret (shown as "(sensitive)") and a
	// run records no -var value of it, so a resume asks for it again.
	Sensitive   bool
	Validations []*VariableValidation
	DeclRange   hcl.Range
}

// VariableValidation is a validation block inside a variable.
type VariableValidation struct {
	Condition    hcl.Expression
	ErrorMessage string
	DeclRange    hcl.Range
}

// Local is one attribute of a locals block.
type Local struct {
	Name      string
	Expr      hcl.Expression
	DeclRange hcl.Range
}

// Secret is a secret block. Its value is read from the runner's environment
// at run time and never stored.
type Secret struct {
	Name string
	Env  string // environment variable holding the value
	// Environments, when EnvironmentsSet, are the only environments whose
	// steps may receive the secret (environments = [environment.NAME]);
	// steps of other stages that list it are refused. Read from the
	// trusted ref, a branch cannot widen it.
	Environments    []string
	EnvironmentsSet bool
	DeclRange       hcl.Range
}

// Allows reports whether a step of the stage kind.name may receive the
// secret: any stage when it declares no environments, else only the
// environments it names.
func (s *Secret) Allows(kind StageKind, name string) bool {
	if !s.EnvironmentsSet {
		return true
	}
	return kind == KindEnvironment && slices.Contains(s.Environments, name)
}

// Group is a named set of people who may approve gates.
type Group struct {
	Name    string
	Members []string
	// AllowedSigners is the group's OpenSSH allowed_signers text (usually
	// file("ci/allowed_signers")): the keys that may sign approvals of
	// gates with signed = true. Empty when not set.
	AllowedSigners string `json:",omitempty"`
	DeclRange      hcl.Range
}

// Stage is a build, test, package or environment block.
type Stage struct {
	Kind StageKind
	Name string
	// Needs lists the stages this stage waits for, resolved from
	// needs = [test.unit]. NeedsSet is true when the attribute was present;
	// then the implicit kind order does not apply to this stage.
	Needs    []StageRef
	NeedsSet bool
	Steps    []*Step

	// Package stages only.
	Artifacts []*Artifact
	Images    []*Image

	// Environment stages only.
	Requires    []string // names of environments that must have succeeded first
	Branches    []string // branch patterns allowed to deploy; empty means any
	BranchesSet bool
	Gates       []*Gate

	// Container is how the stage's steps get containers: "" or
	// ContainerPerStep (each step its own), or ContainerShared (steps
	// with the stage's image run as execs in one container per run).
	Container      string
	ContainerRange hcl.Range

	DeclRange hcl.Range
}

// Values of a stage's container attribute.
const (
	ContainerPerStep = "per-step"
	ContainerShared  = "shared"
)

// ContainerModes lists the values a stage's container attribute takes.
var ContainerModes = []string{ContainerPerStep, ContainerShared}

// SharedContainer reports whether the stage asks for a shared container.
func (s *Stage) SharedContainer() bool { return s.Container == ContainerShared }

// Address returns "kind.name", the way the stage is referenced in config.
func (s *Stage) Address() string { return string(s.Kind) + "." + s.Name }

// StageRef names a stage.
type StageRef struct {
	Kind  StageKind
	Name  string
	Range hcl.Range
}

// Address returns "kind.name".
func (r StageRef) Address() string { return string(r.Kind) + "." + r.Name }

// Step is a step block inside a stage. Attributes that may depend on run-time
// values keep their expressions; evaluate them with EvalStep.
type Step struct {
	Name string

	Run     hcl.Expression // string; nil when absent
	Command hcl.Expression // list(string); nil when absent
	Image   hcl.Expression // string; nil means the pipeline's default image
	Env     hcl.Expression // map(string); nil when absent
	Workdir hcl.Expression // string; nil when absent
	When    hcl.Expression // bool; nil means always

	// Static attributes, evaluated at load time with var.*, local.* and git.*.
	Secrets    []string // names of secret blocks
	Needs      []string // names of sibling steps
	Timeout    time.Duration
	Retries    int
	Runner     string // "" (the run's default), "docker" or "local"
	Pull       string // "missing" (default), "always" or "never"
	Privileged bool
	// Mounts lists host paths the step asks to bind-mount, each
	// "HOST:CONTAINER" or "HOST:CONTAINER:ro|rw" with absolute paths; the
	// decoder rejects anything else.
	Mounts []string
	// ImageRef names a top-level image block when the step says image =
	// image.NAME; Image is then nil. ImageRefRange is where it was written.
	ImageRef      string
	ImageRefRange hcl.Range
	// Inputs and Outputs are globs of files relative to the pipeline
	// directory ("**" matches any number of directories). A step with
	// inputs is reusable: when its image, command, env, secrets' names,
	// input files and needed steps are unchanged, it is not run again and
	// its outputs are restored.
	Inputs  []string
	Outputs []string
	// Caches lists absolute paths inside the container kept between runs
	// in named volumes, one per pipeline and path.
	Caches []string
	// User is "UID[:GID]" or a user name for the container; "" means the
	// invoking user's uid:gid when the workspace is mounted.
	User string
	// NoWorkspace is true for workspace = false: the workspace is not
	// mounted and the step runs in its image's WORKDIR.
	NoWorkspace bool

	DeclRange hcl.Range
}

// StepImage is a top-level image block: a step image built from the
// repository through the Docker Engine API, tagged by the digest of its
// context, Dockerfile and build args.
type StepImage struct {
	Name string
	// Context is the build context directory relative to the pipeline
	// directory ("." for the pipeline directory itself).
	Context string
	// Dockerfile is relative to Context; "Dockerfile" when not set.
	Dockerfile string
	// Args are the build args (ARG in the Dockerfile).
	Args      map[string]string
	DeclRange hcl.Range
}

// Artifact is an artifact block of a package stage.
type Artifact struct {
	Name      string
	Path      hcl.Expression // string
	DeclRange hcl.Range
}

// Image is an image block of a package stage, built through the Docker API.
type Image struct {
	Name       string
	Context    hcl.Expression // string
	Dockerfile hcl.Expression // string; nil means "Dockerfile"
	DeclRange  hcl.Range
}

// Gate is a manual approval gate of an environment.
type Gate struct {
	Name string
	// Approvers lists who may approve: plain names or e-mail addresses,
	// "author", and "group:NAME".
	Approvers           []string
	PreventSelfApproval bool
	Timeout             time.Duration // 0: never expires
	Wait                time.Duration // bake time after approval
	// Signed requires approvals signed by a key that the allowed_signers of
	// one of the gate's approver groups accepts (see engine/signoff).
	Signed      bool      `json:",omitempty"`
	SignedRange hcl.Range `json:"-"`
	DeclRange   hcl.Range
}

// Notify is a notify block.
type Notify struct {
	Name      string
	Webhook   hcl.Expression // string
	On        []string
	DeclRange hcl.Range
}

// NotifyEvents lists the events a notify block may subscribe to.
var NotifyEvents = []string{
	"run_started", "run_succeeded", "run_failed",
	"gate_waiting", "gate_approved", "gate_rejected", "gate_expired",
	"deploy_started", "deploy_succeeded", "deploy_failed", "rollback",
}
