package plan

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/dag"
)

// New plans cfg, which should be a config that loaded without error
// diagnostics. Problems with the selection come back as a *SelectionError
// listing every one; problems with the config itself (a reference to a
// missing stage or step, a cycle, an expression that fails to evaluate)
// come back as hcl.Diagnostics (errors.As) naming the file and line.
// Unless opts.AllowPrivileged, a plan whose steps ask for privileged mode,
// host bind mounts or the Docker socket is refused with a *PrivilegeError
// listing every such step.
func New(cfg *dsl.Config, opts Options) (*Plan, error) {
	if cfg == nil || cfg.Pipeline == nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing Pipeline Block",
			Detail:   "The configuration has no pipeline block, so there is nothing to plan. Add pipeline \"NAME\" { } to one of the pipeline files.",
		}}
	}
	ix := newStageIndex(cfg)
	selected, err := ix.selectUnits(opts)
	if err != nil {
		return nil, err
	}
	b := &builder{
		cfg:      cfg,
		ix:       ix,
		scope:    opts.Scope,
		selected: selected,
		graph:    dag.New(),
		byID:     make(map[string]*Node),
		declared: make(map[string]hcl.Range),
		finals:   make(map[string][]string),
	}
	b.build()
	if b.diags.HasErrors() {
		return nil, b.diags
	}
	p := &Plan{
		Pipeline:    cfg.Pipeline.Name,
		Description: cfg.Pipeline.Description,
		Source:      cfg.Source,
		Selection:   Selection{Only: opts.Only, Skip: opts.Skip, Until: opts.Until},
		Graph:       b.graph,
		Config:      cfg,
		byID:        b.byID,
	}
	p.Version = b.version()
	if b.diags.HasErrors() {
		return nil, b.diags
	}
	if err := p.order(); err != nil {
		return nil, err
	}
	if !opts.AllowPrivileged {
		if err := p.checkPrivileges(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// builder accumulates nodes, edges and diagnostics for New.
type builder struct {
	cfg      *dsl.Config
	ix       *stageIndex
	scope    dsl.Scope
	selected map[string]bool
	graph    *dag.Graph
	byID     map[string]*Node
	declared map[string]hcl.Range
	// finals maps a stage address (or ReleaseID) to the IDs that complete it.
	finals map[string][]string
	edges  [][2]string
	diags  hcl.Diagnostics
}

func (b *builder) add(n *Node, rng hcl.Range) {
	if first, dup := b.declared[n.ID]; dup {
		b.diags = append(b.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate Plan Node",
			Detail: fmt.Sprintf("Two blocks both become the plan node %q; the first is at %s. Rename one of them.",
				n.ID, first),
			Subject: rng.Ptr(),
		})
		return
	}
	b.declared[n.ID] = rng
	b.byID[n.ID] = n
	b.graph.Add(n)
}

func (b *builder) connect(from, to string) { b.edges = append(b.edges, [2]string{from, to}) }

func (b *builder) build() {
	present := func(a string) bool { return b.selected[a] }
	var stages []*dsl.Stage
	for _, s := range b.cfg.Stages {
		if b.selected[s.Address()] && b.ix.byAddr[s.Address()] == s {
			stages = append(stages, s)
		}
	}
	// Nodes first, so that finals are known before edges are drawn.
	for _, s := range stages {
		if s.Kind == dsl.KindEnvironment {
			b.addEnvironment(s)
		} else {
			b.addStage(s)
		}
	}
	if b.selected[ReleaseID] {
		b.addRelease()
	}
	for _, s := range stages {
		var upstream []string
		for _, d := range b.ix.deps(s.Address(), present) {
			ids, ok := b.finals[d.addr]
			if !ok {
				b.diags = append(b.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to Undeclared Stage",
					Detail: fmt.Sprintf("%s needs %s, which is not declared. Declare it, or remove it from needs or requires.",
						s.Address(), d.addr),
					Subject: s.DeclRange.Ptr(),
				})
				continue
			}
			upstream = append(upstream, ids...)
		}
		for _, entry := range b.entries(s) {
			for _, u := range upstream {
				b.connect(entry, u)
			}
		}
	}
	if b.diags.HasErrors() {
		return
	}
	for _, e := range b.edges {
		b.graph.Connect(e[0], e[1])
	}
}

// addStage adds the steps of a build, test or package stage and its stage
// node.
func (b *builder) addStage(s *dsl.Stage) {
	addr := s.Address()
	b.add(&Node{ID: addr, Kind: KindStage, Stage: addr, StageKind: s.Kind, StageDef: s}, s.DeclRange)
	// Without steps, the stage node is also the stage's entry, wired to
	// the upstream in build.
	for _, id := range b.addSteps(s, addr, nil) {
		b.connect(addr, id)
	}
	b.finals[addr] = []string{addr}
}

// addSteps adds the steps of s under prefix; entry steps need after.
// It returns the IDs of the steps no sibling needs.
func (b *builder) addSteps(s *dsl.Stage, prefix string, after []string) []string {
	names := make(map[string]bool, len(s.Steps))
	needed := make(map[string]bool)
	for _, st := range s.Steps {
		names[st.Name] = true
		for _, n := range st.Needs {
			needed[n] = true
		}
	}
	var sinks []string
	var nodes []*Node
	for _, st := range s.Steps {
		id := prefix + "." + st.Name
		node := b.stepNode(s, st, id)
		nodes = append(nodes, node)
		b.add(node, st.DeclRange)
		for _, n := range st.Needs {
			if !names[n] {
				b.diags = append(b.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Reference to Undeclared Step",
					Detail: fmt.Sprintf("Step %q of %s needs step %q, which the stage does not declare. Declare it, or remove it from needs.",
						st.Name, s.Address(), n),
					Subject: st.DeclRange.Ptr(),
				})
				continue
			}
			b.connect(id, prefix+"."+n)
		}
		if len(st.Needs) == 0 {
			for _, a := range after {
				b.connect(id, a)
			}
		}
		if !needed[st.Name] {
			sinks = append(sinks, id)
		}
	}
	markShared(s, nodes, b.defaultImage())
	return sinks
}

func (b *builder) stepNode(s *dsl.Stage, st *dsl.Step, id string) *Node {
	values, diags := b.cfg.EvalStep(s, st, b.scope)
	b.diags = append(b.diags, diags...)
	return &Node{
		ID: id, Kind: KindStep, Stage: s.Address(), StageKind: s.Kind, StageDef: s,
		Step: &StepNode{
			Name: st.Name, Values: values, Timeout: st.Timeout, Retries: st.Retries,
			Runner: st.Runner, Pull: st.Pull, Privileged: st.Privileged,
			Mounts: st.Mounts, Secrets: st.Secrets, Needs: st.Needs, Def: st,
			Inputs: st.Inputs, Outputs: st.Outputs, Caches: st.Caches, User: st.User, NoWorkspace: st.NoWorkspace,
		},
	}
}

// addEnvironment adds the deploy node, gates and steps of an environment.
func (b *builder) addEnvironment(s *dsl.Stage) {
	addr := s.Address()
	env := &EnvNode{Name: s.Name, Requires: s.Requires, Branches: s.Branches}
	b.add(&Node{ID: addr, Kind: KindDeploy, Stage: addr, StageKind: s.Kind, Env: env, StageDef: s}, s.DeclRange)
	after := []string{addr}
	if len(s.Gates) > 0 {
		after = nil
		for _, g := range s.Gates {
			id := addr + ".gate." + g.Name
			b.add(&Node{ID: id, Kind: KindGate, Stage: addr, StageKind: s.Kind, StageDef: s, Gate: &GateNode{
				Environment: s.Name, Name: g.Name, Approvers: g.Approvers,
				PreventSelfApproval: g.PreventSelfApproval, Timeout: g.Timeout, Wait: g.Wait, Signed: g.Signed,
			}}, g.DeclRange)
			b.connect(id, addr)
			env.Gates = append(env.Gates, id)
			after = append(after, id)
		}
	}
	env.Final = after
	if len(s.Steps) > 0 {
		env.Final = b.addSteps(s, addr, after)
	}
	sort.Strings(env.Gates)
	sort.Strings(env.Final)
	b.finals[addr] = env.Final
}

// addRelease adds the release node, which needs every package stage.
func (b *builder) addRelease() {
	rel := &ReleaseNode{}
	n := &Node{ID: ReleaseID, Kind: KindRelease, Release: rel}
	b.add(n, b.cfg.Pipeline.DeclRange)
	for _, s := range b.cfg.Stages {
		if s.Kind != dsl.KindPackage {
			continue
		}
		rel.Packages = append(rel.Packages, s.Address())
		b.connect(ReleaseID, s.Address())
		for _, a := range s.Artifacts {
			path, diags := b.cfg.EvalText(a.Path, b.scope)
			b.diags = append(b.diags, diags...)
			rel.Artifacts = append(rel.Artifacts, ReleaseArtifact{Stage: s.Address(), Name: a.Name, Path: path})
		}
		for _, im := range s.Images {
			ctx, diags := b.cfg.EvalText(im.Context, b.scope)
			b.diags = append(b.diags, diags...)
			df := dsl.Text{Value: "Dockerfile", Known: true}
			if im.Dockerfile != nil {
				df, diags = b.cfg.EvalText(im.Dockerfile, b.scope)
				b.diags = append(b.diags, diags...)
			}
			rel.Images = append(rel.Images, ReleaseImage{Stage: s.Address(), Name: im.Name, Context: ctx, Dockerfile: df})
		}
	}
	sort.Strings(rel.Packages)
	b.finals[ReleaseID] = []string{ReleaseID}
}

// entries returns the node IDs of s that need the stage's upstream.
func (b *builder) entries(s *dsl.Stage) []string {
	addr := s.Address()
	switch {
	case s.Kind == dsl.KindEnvironment:
		return []string{addr}
	case len(s.Steps) == 0:
		return []string{addr}
	}
	var out []string
	for _, st := range s.Steps {
		if len(st.Needs) == 0 {
			out = append(out, addr+"."+st.Name)
		}
	}
	return out
}

// version evaluates the release version expression; without one the
// version comes from git describe at run time.
func (b *builder) version() dsl.Text {
	if b.cfg.Pipeline.Version == nil {
		return dsl.Text{Source: "git describe", After: "run"}
	}
	v, diags := b.cfg.EvalText(b.cfg.Pipeline.Version, b.scope)
	b.diags = append(b.diags, diags...)
	return v
}

// defaultImage is the pipeline's default step image, or "".
func (b *builder) defaultImage() string {
	if b.cfg.Pipeline == nil {
		return ""
	}
	return b.cfg.Pipeline.Image
}
