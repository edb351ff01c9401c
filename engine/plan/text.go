package plan

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pipeline-cd/pipeline/dsl"
)

// WriteText writes the plan for people: a header, then every working node
// wave by wave with its image, command, timeout, retries, condition, and the
// gates and promotion rules on the way to each environment, then the
// critical path. Values not known until run time are shown with their
// source and when they become known. The output is byte-identical for the
// same plan.
func (p *Plan) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p.writeHeader(bw)
	for i, wave := range p.Waves {
		fmt.Fprintf(bw, "\nWave %d\n", i+1)
		for _, id := range wave {
			p.writeNode(bw, p.byID[id])
		}
	}
	fmt.Fprintf(bw, "\nCritical path (%d nodes): %s\n", len(p.CriticalPath), strings.Join(p.CriticalPath, " -> "))
	fmt.Fprintf(bw, "%s\n", p.summary())
	return bw.Flush()
}

func (p *Plan) writeHeader(w io.Writer) {
	fmt.Fprintf(w, "Pipeline:  %s\n", p.Pipeline)
	if p.Description != "" {
		fmt.Fprintf(w, "           %s\n", p.Description)
	}
	fmt.Fprintf(w, "Version:   %s\n", p.Version.Display())
	src := "working tree"
	if p.Source.Ref != "" {
		src = "git ref " + p.Source.Ref
	}
	if p.Source.Commit != "" {
		src += " (commit " + p.Source.Commit + ")"
	}
	fmt.Fprintf(w, "Source:    %s\n", src)
	if p.Source.Digest != "" {
		fmt.Fprintf(w, "Config:    %s\n", p.Source.Digest)
	}
	fmt.Fprintf(w, "Selection: %s\n", p.Selection.String())
}

// String renders the selection as command-line flags, or "all stages".
func (s Selection) String() string {
	var parts []string
	for _, o := range s.Only {
		parts = append(parts, "--only "+o)
	}
	for _, o := range s.Skip {
		parts = append(parts, "--skip "+o)
	}
	if s.Until != "" {
		parts = append(parts, "--until "+s.Until)
	}
	if len(parts) == 0 {
		return "all stages"
	}
	return strings.Join(parts, " ")
}

func (p *Plan) summary() string {
	counts := map[NodeKind]int{}
	for _, n := range p.Nodes {
		counts[n.Kind]++
	}
	return fmt.Sprintf("%s, %s, %s in %s.",
		plural(counts[KindStep], "step"), plural(counts[KindGate], "gate"),
		plural(counts[KindDeploy], "environment"), plural(len(p.Waves), "wave"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// field writes "label: value", indenting continuation lines of value. The
// label and its colon are padded to 14 characters.
func field(w io.Writer, label, value string) {
	const indent, width = "      ", 14
	const spaces = "              "
	io.WriteString(w, indent)
	io.WriteString(w, label)
	io.WriteString(w, ":")
	headLen := len(indent) + len(label) + 1
	if n := utf8.RuneCountInString(label) + 1; n < width {
		io.WriteString(w, spaces[:width-n])
		headLen += width - n
	}
	io.WriteString(w, " ")
	headLen++
	line, rest, more := strings.Cut(strings.TrimRight(value, "\n"), "\n")
	io.WriteString(w, line)
	io.WriteString(w, "\n")
	if !more {
		return
	}
	pad := strings.Repeat(" ", headLen)
	for more {
		line, rest, more = strings.Cut(rest, "\n")
		io.WriteString(w, pad)
		io.WriteString(w, line)
		io.WriteString(w, "\n")
	}
}

func (p *Plan) writeNode(w io.Writer, n *Node) {
	if string(n.Kind) == n.ID {
		fmt.Fprintf(w, "  %s\n", n.ID)
	} else {
		fmt.Fprintf(w, "  %s %s\n", n.Kind, n.ID)
	}
	if needs := n.Needs; len(needs) > 0 {
		field(w, "needs", strings.Join(needs, ", "))
	}
	switch n.Kind {
	case KindStep:
		p.writeStep(w, n.Step)
	case KindGate:
		p.writeGate(w, n.Gate)
	case KindDeploy:
		writeEnv(w, n.Env)
	case KindRelease:
		writeRelease(w, n.Release)
	}
}

func (p *Plan) writeStep(w io.Writer, s *StepNode) {
	v := s.Values
	field(w, "image", imageText(v.Image, s.Runner))
	if s.Shared {
		field(w, "container", "shared (an exec in the stage's one container)")
	}
	if v.Run != nil {
		field(w, "run", v.Run.Display())
	}
	if v.Command != nil {
		parts := make([]string, len(v.Command))
		for i, c := range v.Command {
			if c.Known {
				parts[i] = strconv.Quote(c.Value)
			} else {
				parts[i] = c.Display()
			}
		}
		field(w, "command", "["+strings.Join(parts, ", ")+"]")
	}
	if v.Workdir != nil {
		field(w, "workdir", v.Workdir.Display())
	}
	if len(v.Env) > 0 {
		keys := make([]string, 0, len(v.Env))
		for k := range v.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		lines := make([]string, len(keys))
		for i, k := range keys {
			lines[i] = k + "=" + v.Env[k].Display()
		}
		field(w, "env", strings.Join(lines, "\n"))
	}
	if len(s.Secrets) > 0 {
		names := make([]string, len(s.Secrets))
		for i, name := range s.Secrets {
			names[i] = name
			if sec := p.Config.Secrets[name]; sec != nil && sec.Env != "" {
				names[i] += " (from $" + sec.Env + ")"
			}
		}
		field(w, "secrets", strings.Join(names, ", "))
	}
	field(w, "timeout", dsl.FormatDuration(s.Timeout, "none"))
	field(w, "retries", strconv.Itoa(s.Retries))
	field(w, "when", whenText(v.When))
	if s.Runner != "" {
		field(w, "runner", s.Runner)
	}
	if s.Pull != "" && s.Pull != "missing" {
		field(w, "pull", s.Pull)
	}
	if s.Privileged {
		field(w, "privileged", "yes")
	}
	if len(s.Mounts) > 0 {
		field(w, "mounts", strings.Join(s.Mounts, "\n"))
	}
	p.writeStepFiles(w, s)
}

// writeStepFiles shows the image block a step is built from, whether it
// is reusable, its caches and who it runs as.
func (p *Plan) writeStepFiles(w io.Writer, s *StepNode) {
	if ref := s.Values.ImageRef; ref != "" && p.Config != nil {
		if img := p.Config.StepImages[ref]; img != nil {
			field(w, "image build", "built from "+path.Join(img.Context, img.Dockerfile)+" before the step, tagged by the digest of its context; not rebuilt while unchanged")
		}
	}
	if len(s.Inputs) > 0 {
		field(w, "inputs", strings.Join(s.Inputs, "\n"))
		if len(s.Outputs) > 0 {
			field(w, "outputs", strings.Join(s.Outputs, "\n"))
		}
		field(w, "reuse", "reused (outputs restored, not run) when a run recorded a success with the same key: image, command, env, secret names, input files, needed steps; --no-cache runs it")
	}
	if len(s.Caches) > 0 {
		field(w, "caches", strings.Join(s.Caches, "\n"))
	}
	if s.User != "" {
		field(w, "user", s.User)
	}
	if s.NoWorkspace {
		field(w, "workspace", "not mounted: runs in the image's WORKDIR")
	}
}

// imageText is the image a step runs in; steps with runner = "local" run
// on the host, whatever the pipeline's default image.
func imageText(t dsl.Text, runner string) string {
	switch {
	case runner == "local":
		return "(none: runs on the host)"
	case t.Known && t.Value == "":
		return "(none)"
	}
	return t.Display()
}

func whenText(b dsl.Bool) string {
	switch {
	case b.Known && b.Source == "":
		return "always"
	case b.Known && b.Value:
		return "true (" + b.Source + ")"
	case b.Known:
		return "false (" + b.Source + "): the step will be skipped"
	}
	return dsl.Text{Source: b.Source, After: b.After}.Display()
}

func (p *Plan) writeGate(w io.Writer, g *GateNode) {
	approvers := make([]string, len(g.Approvers))
	for i, a := range g.Approvers {
		approvers[i] = a
		if name, ok := strings.CutPrefix(a, "group:"); ok {
			if grp := p.Config.Groups[name]; grp != nil {
				approvers[i] += " (" + strings.Join(grp.Members, ", ") + ")"
			}
		}
	}
	field(w, "approvers", strings.Join(approvers, ", "))
	self := "allowed"
	if g.PreventSelfApproval {
		self = "prevented"
	}
	field(w, "self-approval", self)
	if g.Signed {
		field(w, "signatures", "required (ssh-keygen -Y sign, namespace pipeline-approval)")
	}
	field(w, "timeout", dsl.FormatDuration(g.Timeout, "never expires"))
	field(w, "wait", dsl.FormatDuration(g.Wait, "none"))
}

func writeEnv(w io.Writer, e *EnvNode) {
	req := "none"
	if len(e.Requires) > 0 {
		names := make([]string, len(e.Requires))
		for i, r := range e.Requires {
			names[i] = "environment." + r
		}
		req = strings.Join(names, ", ") + " (must have succeeded with this release)"
	}
	field(w, "requires", req)
	branches := "any"
	if len(e.Branches) > 0 {
		branches = strings.Join(e.Branches, ", ")
	}
	field(w, "branches", branches)
	gates := "none"
	if len(e.Gates) > 0 {
		gates = strings.Join(e.Gates, ", ")
	}
	field(w, "gates", gates)
}

func writeRelease(w io.Writer, r *ReleaseNode) {
	field(w, "packages", strings.Join(r.Packages, ", "))
	for _, a := range r.Artifacts {
		field(w, "artifact", a.Name+" = "+a.Path.Display())
	}
	for _, im := range r.Images {
		field(w, "image", fmt.Sprintf("%s (context %s, dockerfile %s)", im.Name, im.Context.Display(), im.Dockerfile.Display()))
	}
}
