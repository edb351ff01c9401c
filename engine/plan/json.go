package plan

import (
	"encoding/json"
	"io"
	"sort"

	"github.com/pipeline-cd/pipeline/dsl"
)

// JSON is the document WriteJSON writes. Field names are part of the
// command-line contract (pipeline plan --json).
type JSON struct {
	Pipeline     string     `json:"pipeline"`
	Description  string     `json:"description,omitempty"`
	Version      JSONText   `json:"version"`
	Source       dsl.Source `json:"-"`
	Ref          string     `json:"ref,omitempty"`
	Commit       string     `json:"commit,omitempty"`
	Digest       string     `json:"config_digest,omitempty"`
	Selection    Selection  `json:"selection"`
	Waves        [][]string `json:"waves"`
	CriticalPath []string   `json:"critical_path"`
	Nodes        []JSONNode `json:"nodes"`
}

// JSONText is an evaluated value: Value when Known, otherwise Source and
// After (what makes it known). Display is what the text output shows.
type JSONText struct {
	Value   string `json:"value"`
	Known   bool   `json:"known"`
	Source  string `json:"source,omitempty"`
	After   string `json:"after,omitempty"`
	Display string `json:"display"`
}

// JSONNode is one node of the plan, in wave order.
type JSONNode struct {
	ID         string   `json:"id"`
	Kind       NodeKind `json:"kind"`
	Stage      string   `json:"stage,omitempty"`
	Wave       int      `json:"wave"` // 1-based; stage nodes share the wave of the work after them
	Needs      []string `json:"needs"`
	Dependents []string `json:"dependents"`

	Step        *JSONStep    `json:"step,omitempty"`
	Gate        *JSONGate    `json:"gate,omitempty"`
	Environment *EnvNode     `json:"environment,omitempty"`
	Release     *JSONRelease `json:"release,omitempty"`
}

// JSONStep is a step node's values.
type JSONStep struct {
	Name           string              `json:"name"`
	Image          JSONText            `json:"image"`
	Run            *JSONText           `json:"run,omitempty"`
	Command        []JSONText          `json:"command,omitempty"`
	Workdir        *JSONText           `json:"workdir,omitempty"`
	Env            map[string]JSONText `json:"env,omitempty"`
	Secrets        []string            `json:"secrets,omitempty"`
	TimeoutSeconds float64             `json:"timeout_seconds"`
	Retries        int                 `json:"retries"`
	When           JSONWhen            `json:"when"`
	Needs          []string            `json:"needs,omitempty"`
	Runner         string              `json:"runner,omitempty"`
	Pull           string              `json:"pull,omitempty"`
	Privileged     bool                `json:"privileged,omitempty"`
	Mounts         []string            `json:"mounts,omitempty"`
	ImageRef       string              `json:"image_ref,omitempty"`
	Inputs         []string            `json:"inputs,omitempty"`
	Outputs        []string            `json:"outputs,omitempty"`
	Caches         []string            `json:"caches,omitempty"`
	User           string              `json:"user,omitempty"`
	NoWorkspace    bool                `json:"no_workspace,omitempty"`
	// Container is "shared" for a step that runs as an exec in its
	// stage's shared container, else empty.
	Container string `json:"container,omitempty"`
}

// JSONWhen is a step's condition.
type JSONWhen struct {
	Value   bool   `json:"value"`
	Known   bool   `json:"known"`
	Source  string `json:"source,omitempty"`
	After   string `json:"after,omitempty"`
	Display string `json:"display"`
}

// JSONGate is a gate node's rules.
type JSONGate struct {
	Environment         string   `json:"environment"`
	Name                string   `json:"name"`
	Approvers           []string `json:"approvers"`
	PreventSelfApproval bool     `json:"prevent_self_approval"`
	TimeoutSeconds      float64  `json:"timeout_seconds"`
	WaitSeconds         float64  `json:"wait_seconds"`
	Signed              bool     `json:"signed,omitempty"`
}

// JSONRelease is what the release will carry.
type JSONRelease struct {
	Packages  []string       `json:"packages"`
	Artifacts []JSONArtifact `json:"artifacts"`
	Images    []JSONImage    `json:"images"`
}

// JSONArtifact is an artifact of the release.
type JSONArtifact struct {
	Stage string   `json:"stage"`
	Name  string   `json:"name"`
	Path  JSONText `json:"path"`
}

// JSONImage is an image of the release.
type JSONImage struct {
	Stage      string   `json:"stage"`
	Name       string   `json:"name"`
	Context    JSONText `json:"context"`
	Dockerfile JSONText `json:"dockerfile"`
}

func jsonText(t dsl.Text) JSONText {
	return JSONText{Value: t.Value, Known: t.Known, Source: t.Source, After: t.After, Display: t.Display()}
}

// JSON returns the plan as the document WriteJSON writes: nodes in wave
// order, ties by ID.
func (p *Plan) JSON() *JSON {
	doc := &JSON{
		Pipeline: p.Pipeline, Description: p.Description, Version: jsonText(p.Version),
		Ref: p.Source.Ref, Commit: p.Source.Commit, Digest: p.Source.Digest,
		Selection: p.Selection, Waves: p.Waves, CriticalPath: p.CriticalPath,
		Nodes: []JSONNode{},
	}
	nodes := append([]*Node(nil), p.Nodes...)
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].Depth < nodes[j].Depth })
	for _, n := range nodes {
		jn := JSONNode{ID: n.ID, Kind: n.Kind, Stage: n.Stage, Wave: n.Depth + 1, Needs: n.Needs, Dependents: n.Dependents, Environment: n.Env}
		switch n.Kind {
		case KindStep:
			jn.Step = jsonStep(n.Step)
		case KindGate:
			g := n.Gate
			jn.Gate = &JSONGate{Environment: g.Environment, Name: g.Name, Approvers: g.Approvers,
				PreventSelfApproval: g.PreventSelfApproval, TimeoutSeconds: g.Timeout.Seconds(), WaitSeconds: g.Wait.Seconds(), Signed: g.Signed}
		case KindRelease:
			jn.Release = jsonRelease(n.Release)
		}
		doc.Nodes = append(doc.Nodes, jn)
	}
	return doc
}

func jsonStep(s *StepNode) *JSONStep {
	v := s.Values
	js := &JSONStep{
		Name: s.Name, Image: jsonText(v.Image), Secrets: s.Secrets,
		TimeoutSeconds: s.Timeout.Seconds(), Retries: s.Retries, Needs: s.Needs,
		Runner: s.Runner, Pull: s.Pull, Privileged: s.Privileged, Mounts: s.Mounts,
		ImageRef: v.ImageRef, Inputs: s.Inputs, Outputs: s.Outputs, Caches: s.Caches, User: s.User, NoWorkspace: s.NoWorkspace,
		When: JSONWhen{Value: v.When.Value, Known: v.When.Known, Source: v.When.Source, After: v.When.After, Display: whenText(v.When)},
	}
	if s.Shared {
		js.Container = "shared"
	}
	if v.Run != nil {
		t := jsonText(*v.Run)
		js.Run = &t
	}
	for _, c := range v.Command {
		js.Command = append(js.Command, jsonText(c))
	}
	if v.Workdir != nil {
		t := jsonText(*v.Workdir)
		js.Workdir = &t
	}
	if len(v.Env) > 0 {
		js.Env = make(map[string]JSONText, len(v.Env))
		for k, t := range v.Env {
			js.Env[k] = jsonText(t)
		}
	}
	return js
}

func jsonRelease(r *ReleaseNode) *JSONRelease {
	jr := &JSONRelease{Packages: r.Packages, Artifacts: []JSONArtifact{}, Images: []JSONImage{}}
	for _, a := range r.Artifacts {
		jr.Artifacts = append(jr.Artifacts, JSONArtifact{Stage: a.Stage, Name: a.Name, Path: jsonText(a.Path)})
	}
	for _, im := range r.Images {
		jr.Images = append(jr.Images, JSONImage{Stage: im.Stage, Name: im.Name, Context: jsonText(im.Context), Dockerfile: jsonText(im.Dockerfile)})
	}
	return jr
}

// WriteJSON writes the plan as indented JSON (see JSON), byte-identical
// for the same plan.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p.JSON())
}
