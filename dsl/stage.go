package dsl

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

var stageBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "needs"},
		{Name: "requires"},
		{Name: "branches"},
		{Name: "container"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "step", LabelNames: []string{"name"}},
		{Type: "artifact", LabelNames: []string{"name"}},
		{Type: "image", LabelNames: []string{"name"}},
		{Type: "gate", LabelNames: []string{"name"}},
	},
}

var packageNamesSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "artifact", LabelNames: []string{"name"}},
		{Type: "image", LabelNames: []string{"name"}},
	},
}

// declarePackageNames records the artifact and image names of a package
// block before anything is evaluated, so that release.artifacts.NAME and
// release.images.NAME can be checked everywhere. Names are global: the
// release has one set of artifacts and images.
func (l *loader) declarePackageNames(b *hcl.Block, diags *hcl.Diagnostics) {
	content, _, _ := b.Body.PartialContent(packageNamesSchema)
	if content == nil {
		return
	}
	for _, ib := range content.Blocks {
		if len(ib.Labels) != 1 {
			continue
		}
		m, what := l.artifactRange, "Artifact"
		if ib.Type == "image" {
			m, what = l.imageRange, "Image"
		}
		name := ib.Labels[0]
		if first, dup := m[name]; dup {
			*diags = append(*diags, duplicate(what, name, first, ib.LabelRanges[0]))
			continue
		}
		m[name] = ib.DefRange
	}
}

// decodeStageBlock decodes a build, test, package or environment block.
func (l *loader) decodeStageBlock(b *hcl.Block) (*Stage, hcl.Diagnostics) {
	s := &Stage{Kind: StageKind(b.Type), Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName(b.Type, b)
	content, d := b.Body.Content(stageBlockSchema)
	diags = append(diags, d...)
	isEnv := s.Kind == KindEnvironment

	if a, ok := content.Attributes["needs"]; ok {
		s.NeedsSet = true
		refs, d := decodeAddressList(a, "stage addresses like test.unit")
		diags = append(diags, d...)
		for _, r := range refs {
			if !isStageKind(r.Kind) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid Reference",
					Detail: fmt.Sprintf("The needs of a stage must name stages, like test.unit or build.webapp; %s.%s is not a stage. To order steps, put needs = [step.x] inside a step.",
						r.Kind, r.Name),
					Subject: r.Range.Ptr(),
				})
				continue
			}
			s.Needs = append(s.Needs, StageRef{Kind: StageKind(r.Kind), Name: r.Name, Range: r.Range})
		}
	}
	if a, ok := content.Attributes["requires"]; ok {
		if !isEnv {
			diags = append(diags, onlyInEnvironment(a.NameRange, "requires", "a promotion rule"))
		} else {
			refs, d := decodeAddressList(a, "environment addresses like environment.beta")
			diags = append(diags, d...)
			for _, r := range refs {
				if r.Kind != string(KindEnvironment) {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Invalid Reference",
						Detail:   fmt.Sprintf("requires must name environments, like environment.beta; %s.%s is not an environment.", r.Kind, r.Name),
						Subject:  r.Range.Ptr(),
					})
					continue
				}
				s.Requires = append(s.Requires, r.Name)
				l.refRanges[refKey{s, nil, "requires", len(s.Requires) - 1}] = r.Range
			}
		}
	}
	if a, ok := content.Attributes["branches"]; ok {
		if !isEnv {
			diags = append(diags, onlyInEnvironment(a.NameRange, "branches", "a branch restriction"))
		} else {
			s.BranchesSet = true
			branches, ranges, d := l.staticStrings(a)
			diags = append(diags, d...)
			if !d.HasErrors() && len(branches) == 0 {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Empty Branch List",
					Detail:   "branches = [] would let no branch deploy here. List the branches allowed to deploy, such as [\"main\"], or remove the attribute to allow any branch.",
					Subject:  a.Expr.Range().Ptr(),
				})
			}
			for i, br := range branches {
				if _, err := path.Match(br, ""); err != nil || strings.TrimSpace(br) == "" {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Invalid Branch Pattern",
						Detail:   fmt.Sprintf("%q is not a valid branch pattern. Use a branch name such as \"main\" or a glob such as \"release/*\".", br),
						Subject:  ranges[i].Ptr(),
					})
					continue
				}
				s.Branches = append(s.Branches, br)
			}
		}
	}

	if a, ok := content.Attributes["container"]; ok {
		diags = append(diags, l.enum(a, ContainerModes, &s.Container)...)
		s.ContainerRange = a.Expr.Range()
	}

	stepNames := map[string]hcl.Range{}
	gateNames := map[string]hcl.Range{}
	for _, ib := range content.Blocks {
		switch ib.Type {
		case "step":
			st, d := l.decodeStepBlock(ib)
			diags = append(diags, d...)
			if first, dup := stepNames[st.Name]; dup {
				diags = append(diags, duplicate("Step", st.Name, first, ib.LabelRanges[0]))
				continue
			}
			stepNames[st.Name] = ib.DefRange
			s.Steps = append(s.Steps, st)
		case "artifact", "image":
			if s.Kind != KindPackage {
				what := "Artifact"
				if ib.Type == "image" {
					what = "Image"
				}
				diags = append(diags, misplaced(ib, what+" Outside Package",
					fmt.Sprintf("An %s can only be declared inside a package block, not in %s %q. Move it into a package stage.", ib.Type, s.Kind, s.Name)))
				continue
			}
			d := l.decodePackageItem(s, ib)
			diags = append(diags, d...)
		case "gate":
			if !isEnv {
				diags = append(diags, misplaced(ib, "Gate Outside Environment",
					fmt.Sprintf("A gate can only be declared inside an environment block, not in %s %q. Move it into the environment it protects.", s.Kind, s.Name)))
				continue
			}
			g, d := l.decodeGateBlock(ib)
			diags = append(diags, d...)
			if first, dup := gateNames[g.Name]; dup {
				diags = append(diags, duplicate("Gate", g.Name, first, ib.LabelRanges[0]))
				continue
			}
			gateNames[g.Name] = ib.DefRange
			s.Gates = append(s.Gates, g)
		}
	}
	if !diags.HasErrors() && len(content.Blocks) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty Stage",
			Detail:   fmt.Sprintf("%s does nothing. Add a step block (or, in a package, an artifact or image block; in an environment, a gate), or remove the stage.", s.Address()),
			Subject:  b.DefRange.Ptr(),
		})
	}
	return s, diags
}

func isStageKind(k string) bool {
	for _, kind := range StageKinds {
		if string(kind) == k {
			return true
		}
	}
	return false
}

func onlyInEnvironment(rng hcl.Range, attr, what string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Attribute Only Allowed in Environments",
		Detail:   fmt.Sprintf("%s is %s and only applies to environment blocks. Move it into an environment, or remove it.", attr, what),
		Subject:  rng.Ptr(),
	}
}

var artifactBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "path", Required: true}},
}

var imageBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "context", Required: true},
		{Name: "dockerfile"},
	},
}

// decodePackageItem decodes an artifact or image block into s. Duplicate
// names were reported by declarePackageNames; the duplicate is dropped.
func (l *loader) decodePackageItem(s *Stage, b *hcl.Block) hcl.Diagnostics {
	diags := checkName(b.Type, b)
	name := b.Labels[0]
	if b.Type == "artifact" {
		content, d := b.Body.Content(artifactBlockSchema)
		diags = append(diags, d...)
		a := &Artifact{Name: name, DeclRange: b.DefRange}
		if attr, ok := content.Attributes["path"]; ok {
			a.Path = attr.Expr
		}
		if l.artifactRange[name] == b.DefRange {
			s.Artifacts = append(s.Artifacts, a)
		}
		return diags
	}
	content, d := b.Body.Content(imageBlockSchema)
	diags = append(diags, d...)
	img := &Image{Name: name, DeclRange: b.DefRange}
	if attr, ok := content.Attributes["context"]; ok {
		img.Context = attr.Expr
	}
	if attr, ok := content.Attributes["dockerfile"]; ok {
		img.Dockerfile = attr.Expr
	}
	if l.imageRange[name] == b.DefRange {
		s.Images = append(s.Images, img)
	}
	return diags
}

var gateBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "approvers", Required: true},
		{Name: "prevent_self_approval"},
		{Name: "timeout"},
		{Name: "wait"},
		{Name: "signed"},
	},
}

// decodeGateBlock decodes a gate of an environment.
func (l *loader) decodeGateBlock(b *hcl.Block) (*Gate, hcl.Diagnostics) {
	g := &Gate{Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName("gate", b)
	content, d := b.Body.Content(gateBlockSchema)
	diags = append(diags, d...)
	if a, ok := content.Attributes["approvers"]; ok {
		approvers, ranges, d := l.staticStrings(a)
		diags = append(diags, d...)
		if !d.HasErrors() && len(approvers) == 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No Gate Approvers",
				Detail:   "A gate needs at least one approver, or no one could open it. List people, \"author\" or \"group:NAME\".",
				Subject:  a.Expr.Range().Ptr(),
			})
		}
		for i, ap := range approvers {
			if strings.TrimSpace(ap) == "" || strings.ContainsAny(ap, " \t\n") || ap == "group:" {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid Approver",
					Detail:   fmt.Sprintf("%q is not a valid approver. An approver is a name or e-mail address without spaces, \"author\", or \"group:NAME\".", ap),
					Subject:  ranges[i].Ptr(),
				})
				continue
			}
			g.Approvers = append(g.Approvers, ap)
			if strings.HasPrefix(ap, "group:") {
				l.gateGroups = append(l.gateGroups, gateGroupRef{name: strings.TrimPrefix(ap, "group:"), rng: ranges[i]})
			}
		}
	}
	if a, ok := content.Attributes["prevent_self_approval"]; ok {
		diags = append(diags, l.staticBool(a, &g.PreventSelfApproval)...)
	}
	if a, ok := content.Attributes["timeout"]; ok {
		diags = append(diags, l.duration(a, &g.Timeout, false)...)
	}
	if a, ok := content.Attributes["wait"]; ok {
		diags = append(diags, l.duration(a, &g.Wait, true)...)
	}
	if a, ok := content.Attributes["signed"]; ok {
		diags = append(diags, l.staticBool(a, &g.Signed)...)
		g.SignedRange = a.Expr.Range()
	}
	return g, diags
}

// duration evaluates a Go duration string such as "10m" or "72h". Zero is
// allowed only when allowZero is true; negative durations never are.
func (l *loader) duration(a *hcl.Attribute, into *time.Duration, allowZero bool) hcl.Diagnostics {
	var s string
	diags := l.staticString(a, &s)
	if diags.HasErrors() {
		return diags
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || (d == 0 && !allowZero) {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid Duration",
			Detail:   fmt.Sprintf("%s = %q is not a valid duration. Write a positive Go duration such as \"30s\", \"10m\", \"1h30m\" or \"72h\".", a.Name, s),
			Subject:  a.Expr.Range().Ptr(),
		})
	}
	*into = d
	return diags
}
