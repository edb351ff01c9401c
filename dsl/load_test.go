package dsl

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/pipeline-cd/pipeline/internal/golden"
)

// testEnv is the environment every fixture is loaded with.
var testEnv = map[string]string{
	"CHAT_WEBHOOK":           "https://chat.example.com/hook",
	"PIPELINE_VAR_from_env":  "set-by-env",
	"PIPELINE_VAR_overriden": "env",
}

func testGetenv(name string) (string, bool) {
	v, ok := testEnv[name]
	return v, ok
}

// fixture is one test case of testdata/valid or testdata/invalid: a single
// file, or a directory of files.
type fixture struct {
	name   string
	fsys   fs.FS
	prefix string
	files  map[string][]byte // prefixed name -> contents
}

// fixtures lists the cases under dir (relative to the repository root).
func fixtures(t testing.TB, dir string) []fixture {
	t.Helper()
	root := filepath.Join("..", dir)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("ReadDir(%q): %v", root, err)
	}
	var out []fixture
	for _, e := range entries {
		fx := fixture{name: e.Name(), files: map[string][]byte{}}
		if e.IsDir() {
			fx.prefix = dir + "/" + e.Name() + "/"
			fx.fsys = os.DirFS(filepath.Join(root, e.Name()))
			sub, err := os.ReadDir(filepath.Join(root, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sub {
				b, err := os.ReadFile(filepath.Join(root, e.Name(), s.Name()))
				if err != nil {
					t.Fatal(err)
				}
				fx.files[fx.prefix+s.Name()] = b
			}
		} else {
			if !IsConfigFile(e.Name()) {
				continue
			}
			fx.name = strings.TrimSuffix(e.Name(), ".pipeline.hcl")
			b, err := os.ReadFile(filepath.Join(root, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			fx.prefix = dir + "/"
			fx.fsys = fstest.MapFS{e.Name(): {Data: b}}
			fx.files[fx.prefix+e.Name()] = b
		}
		out = append(out, fx)
	}
	return out
}

func (fx fixture) load() (*Config, hcl.Diagnostics, *Parser) {
	p := NewParser()
	cfg, diags := p.LoadDir(fx.fsys, LoadOptions{
		FilenamePrefix: fx.prefix,
		Dir:            strings.TrimSuffix(fx.prefix, "/"),
		Git:            GitInfo{CommitCount: -1},
		Getenv:         testGetenv,
		ReadFile:       func(string) ([]byte, error) { return nil, fs.ErrNotExist },
	})
	return cfg, diags, p
}

func TestValidConfigs(t *testing.T) {
	for _, fx := range fixtures(t, "testdata/valid") {
		t.Run(fx.name, func(t *testing.T) {
			cfg, diags, p := fx.load()
			if len(diags) > 0 {
				var sb strings.Builder
				_ = hcl.NewDiagnosticTextWriter(&sb, p.Files(), 100, false).WriteDiagnostics(diags)
				t.Fatalf("LoadDir(%q) returned diagnostics; want none:\n%s", fx.name, sb.String())
			}
			got := renderConfig(t, cfg)
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "valid", fx.name+".json"), append(b, '\n'))
		})
	}
}

var errorMarker = regexp.MustCompile(`#\s*ERROR:\s*(.+?)\s*$`)

// expectedErrors collects the "# ERROR: Summary" markers of a fixture as
// "file:line" -> summaries ("A | B" for several on one line).
func expectedErrors(fx fixture) map[string][]string {
	want := map[string][]string{}
	for name, b := range fx.files {
		for i, line := range strings.Split(string(b), "\n") {
			if m := errorMarker.FindStringSubmatch(line); m != nil {
				for _, s := range strings.Split(m[1], "|") {
					key := fmt.Sprintf("%s:%d", name, i+1)
					want[key] = append(want[key], strings.TrimSpace(s))
				}
			}
		}
	}
	for _, v := range want {
		sort.Strings(v)
	}
	return want
}

func TestInvalidConfigs(t *testing.T) {
	all := fixtures(t, "testdata/invalid")
	if len(all) < 40 {
		t.Errorf("testdata/invalid holds %d cases; want at least 40", len(all))
	}
	// The golden file holds every case; with -run selecting only some,
	// it is neither compared nor rewritten.
	var out strings.Builder
	ran := 0
	for _, fx := range all {
		t.Run(fx.name, func(t *testing.T) {
			ran++
			_, diags, _ := fx.load()
			if !diags.HasErrors() {
				t.Fatalf("LoadDir(%q) returned no errors; want some", fx.name)
			}
			got := map[string][]string{}
			fmt.Fprintf(&out, "== %s\n", fx.name)
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic %q has no Subject; every problem in a file must point at it", d.Summary)
					continue
				}
				key := fmt.Sprintf("%s:%d", d.Subject.Filename, d.Subject.Start.Line)
				got[key] = append(got[key], d.Summary)
				fmt.Fprintf(&out, "%s:%d:%d: %s: %s\n    %s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column,
					severity(d), d.Summary, strings.ReplaceAll(d.Detail, "\n", "\n    "))
				if d.Detail == "" {
					t.Errorf("diagnostic %q at %s has no Detail", d.Summary, key)
				}
			}
			for _, v := range got {
				sort.Strings(v)
			}
			if diff := cmp.Diff(expectedErrors(fx), got); diff != "" {
				t.Errorf("LoadDir(%q) diagnostics by line (-want +got):\n%s", fx.name, diff)
			}
		})
	}
	if ran < len(all) {
		t.Logf("%d of %d cases ran; testdata/invalid.golden is checked only when all run", ran, len(all))
		return
	}
	golden.Check(t, filepath.Join("testdata", "invalid.golden"), []byte(out.String()))
}

func severity(d *hcl.Diagnostic) string {
	if d.Severity == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

// configView is a stable, comparable rendering of a Config: expressions
// become their source text, ranges become "file:line:col".
type configView struct {
	Dir       string
	Files     []string
	Pipeline  *pipelineView
	Variables map[string]variableView
	VarValues map[string]string
	Locals    map[string]string
	Secrets   map[string]string
	Groups    map[string][]string
	Stages    []stageView
	Notifies  []notifyView
	// StepImages are the top-level image blocks; left out when none.
	StepImages map[string]stepImageView `json:",omitempty"`
}

type stepImageView struct {
	Context, Dockerfile string
	Args                map[string]string
}

type pipelineView struct {
	Name, Description, Version, Image, Decl string
	VersionValue                            string
}

type variableView struct {
	Type, Default, Description string
	HasDefault                 bool
	Validations                []string
}

type stageView struct {
	Address     string
	Needs       []string
	NeedsSet    bool
	Requires    []string
	Branches    []string
	BranchesSet bool
	Container   string `json:",omitempty"`
	Steps       []stepView
	Artifacts   map[string]string
	Images      map[string][2]string
	Gates       []Gate
	Decl        string
}

type stepView struct {
	Name       string
	Run        string
	Command    []string
	Image      string
	Env        map[string]string
	Workdir    string
	When       string
	Secrets    []string
	Needs      []string
	Timeout    string
	Retries    int
	Runner     string
	Pull       string
	Privileged bool
	Mounts     []string
	// Second wave; left out when empty so older goldens stay as they are.
	ImageRef    string   `json:",omitempty"`
	Inputs      []string `json:",omitempty"`
	Outputs     []string `json:",omitempty"`
	Caches      []string `json:",omitempty"`
	User        string   `json:",omitempty"`
	NoWorkspace bool     `json:",omitempty"`
}

type notifyView struct {
	Name, Webhook string
	On            []string
}

func renderConfig(t *testing.T, c *Config) configView {
	t.Helper()
	src := func(e hcl.Expression) string {
		if e == nil {
			return ""
		}
		return c.eval.source(e)
	}
	text := func(e hcl.Expression) string {
		v, diags := c.EvalText(e, Scope{})
		if diags.HasErrors() {
			t.Fatalf("EvalText(%s): %s", src(e), diags.Error())
		}
		return v.Display()
	}
	v := configView{
		Dir: c.Dir, Files: c.Source.Files,
		Variables: map[string]variableView{}, VarValues: map[string]string{},
		Locals: map[string]string{}, Secrets: map[string]string{}, Groups: map[string][]string{},
	}
	if p := c.Pipeline; p != nil {
		v.Pipeline = &pipelineView{Name: p.Name, Description: p.Description, Version: src(p.Version),
			Image: p.Image, Decl: pos(p.DeclRange), VersionValue: text(p.Version)}
	}
	for name, vr := range c.Variables {
		vv := variableView{Type: vr.Type.FriendlyName(), Description: vr.Description, HasDefault: vr.HasDefault}
		if vr.HasDefault {
			b, err := ctyjson.Marshal(vr.Default, vr.Type)
			if err != nil {
				t.Fatal(err)
			}
			vv.Default = string(b)
		}
		for _, val := range vr.Validations {
			vv.Validations = append(vv.Validations, src(val.Condition)+" => "+val.ErrorMessage)
		}
		v.Variables[name] = vv
	}
	for name, val := range c.VarValues {
		b, err := ctyjson.Marshal(val, val.Type())
		if err != nil {
			t.Fatal(err)
		}
		v.VarValues[name] = string(b)
	}
	for name, l := range c.Locals {
		v.Locals[name] = src(l.Expr)
	}
	for name, s := range c.Secrets {
		v.Secrets[name] = s.Env
		if s.EnvironmentsSet {
			v.Secrets[name] += " environments=[" + strings.Join(s.Environments, ", ") + "]"
		}
	}
	for name, g := range c.Groups {
		v.Groups[name] = g.Members
	}
	for _, s := range c.Stages {
		sv := stageView{Address: s.Address(), NeedsSet: s.NeedsSet, Requires: s.Requires,
			Branches: s.Branches, BranchesSet: s.BranchesSet, Container: s.Container, Decl: pos(s.DeclRange)}
		for _, n := range s.Needs {
			sv.Needs = append(sv.Needs, n.Address())
		}
		for _, st := range s.Steps {
			sv.Steps = append(sv.Steps, renderStep(t, c, s, st))
		}
		for _, a := range s.Artifacts {
			if sv.Artifacts == nil {
				sv.Artifacts = map[string]string{}
			}
			sv.Artifacts[a.Name] = text(a.Path)
		}
		for _, img := range s.Images {
			if sv.Images == nil {
				sv.Images = map[string][2]string{}
			}
			sv.Images[img.Name] = [2]string{text(img.Context), text(img.Dockerfile)}
		}
		for _, g := range s.Gates {
			g := *g
			g.DeclRange = hcl.Range{}
			sv.Gates = append(sv.Gates, g)
		}
		v.Stages = append(v.Stages, sv)
	}
	for _, n := range c.Notifies {
		v.Notifies = append(v.Notifies, notifyView{Name: n.Name, Webhook: text(n.Webhook), On: n.On})
	}
	for name, img := range c.StepImages {
		if v.StepImages == nil {
			v.StepImages = map[string]stepImageView{}
		}
		v.StepImages[name] = stepImageView{Context: img.Context, Dockerfile: img.Dockerfile, Args: img.Args}
	}
	return v
}

func renderStep(t *testing.T, c *Config, s *Stage, st *Step) stepView {
	t.Helper()
	ev, diags := c.EvalStep(s, st, Scope{})
	if diags.HasErrors() {
		t.Fatalf("EvalStep(%s, %s): %s", s.Address(), st.Name, diags.Error())
	}
	sv := stepView{Name: st.Name, Image: ev.Image.Display(), Secrets: st.Secrets, Needs: st.Needs,
		Retries: st.Retries, Runner: st.Runner, Pull: st.Pull, Privileged: st.Privileged, Mounts: st.Mounts,
		ImageRef: st.ImageRef, Inputs: st.Inputs, Outputs: st.Outputs, Caches: st.Caches, User: st.User, NoWorkspace: st.NoWorkspace}
	if st.Timeout != 0 {
		sv.Timeout = st.Timeout.String()
	}
	if ev.Run != nil {
		sv.Run = ev.Run.Display()
	}
	for _, c := range ev.Command {
		sv.Command = append(sv.Command, c.Display())
	}
	for k, e := range ev.Env {
		if sv.Env == nil {
			sv.Env = map[string]string{}
		}
		sv.Env[k] = e.Display()
	}
	if ev.Workdir != nil {
		sv.Workdir = ev.Workdir.Display()
	}
	if st.When != nil {
		if ev.When.Known {
			sv.When = fmt.Sprint(ev.When.Value)
		} else {
			sv.When = ev.When.Source + "  (known after " + ev.When.After + ")"
		}
	}
	return sv
}

func pos(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
