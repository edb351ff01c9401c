package plan

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/dsl"
)

// loadHCL loads one pipeline.hcl from src; it must have no errors.
func loadHCL(t testing.TB, src string) *dsl.Config {
	t.Helper()
	cfg, diags := dsl.NewParser().LoadDir(fstest.MapFS{"pipeline.hcl": {Data: []byte(src)}}, dsl.LoadOptions{
		Git:    fixtureGit,
		Getenv: func(string) (string, bool) { return "", false },
	})
	require.False(t, diags.HasErrors(), "LoadDir: %v", diags)
	return cfg
}

func designConfig(t testing.TB) *dsl.Config {
	t.Helper()
	b, err := os.ReadFile(designExample)
	require.NoError(t, err)
	return loadHCL(t, string(b))
}

func TestShapeOfDesignExample(t *testing.T) {
	p, err := New(designConfig(t), Options{})
	require.NoError(t, err)
	tests := []struct {
		id    string
		kind  NodeKind
		needs []string
	}{
		{"build.webapp.compile", KindStep, []string{}},
		{"build.webapp", KindStage, []string{"build.webapp.compile"}},
		{"test.unit.go-test", KindStep, []string{"build.webapp"}},
		{"test.unit", KindStage, []string{"test.unit.go-test", "test.unit.vet"}},
		{"package.webapp", KindStage, []string{"test.unit"}},
		{"release", KindRelease, []string{"package.webapp"}},
		{"environment.internal", KindDeploy, []string{"release"}},
		{"environment.beta", KindDeploy, []string{"environment.internal.rollout", "release"}},
		{"environment.beta.smoke", KindStep, []string{"environment.beta.rollout"}},
		{"environment.production", KindDeploy, []string{"environment.beta.smoke", "release"}},
		{"environment.production.gate.go-live", KindGate, []string{"environment.production"}},
		{"environment.production.rollout", KindStep, []string{"environment.production.gate.go-live"}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			n := p.Node(tt.id)
			require.NotNil(t, n, "Node(%q)", tt.id)
			if n.Kind != tt.kind {
				t.Errorf("Node(%q).Kind = %q; want %q", tt.id, n.Kind, tt.kind)
			}
			if diff := cmp.Diff(tt.needs, n.Needs); diff != "" {
				t.Errorf("Node(%q).Needs mismatch (-want +got):\n%s", tt.id, diff)
			}
		})
	}
	if got, want := p.Node("environment.beta").Env.Final, []string{"environment.beta.smoke"}; !cmp.Equal(got, want) {
		t.Errorf("beta Final = %v; want %v", got, want)
	}
	if got, want := p.Node("environment.production").Env.Gates, []string{"environment.production.gate.go-live"}; !cmp.Equal(got, want) {
		t.Errorf("production Gates = %v; want %v", got, want)
	}
	if got := len(p.Steps()); got != 7 {
		t.Errorf("len(Steps()) = %d; want 7", got)
	}
	if got, want := len(p.CriticalPath), len(p.Waves); got != want {
		t.Errorf("len(CriticalPath) = %d; want len(Waves) = %d", got, want)
	}
	if p.Graph.Len() != len(p.Nodes) {
		t.Errorf("Graph.Len() = %d; want len(Nodes) = %d", p.Graph.Len(), len(p.Nodes))
	}
}

func nodeIDs(p *Plan, kind NodeKind) []string {
	var out []string
	for _, n := range p.Nodes {
		if n.Kind == kind {
			out = append(out, n.ID)
		}
	}
	return out
}

func TestSelection(t *testing.T) {
	cfg := designConfig(t)
	allSteps := []string{
		"build.webapp.compile", "environment.beta.rollout", "environment.beta.smoke",
		"environment.internal.rollout", "environment.production.rollout", "test.unit.go-test", "test.unit.vet",
	}
	tests := []struct {
		name    string
		opts    Options
		steps   []string
		release bool
		deploys []string
	}{
		{"everything", Options{}, allSteps, true,
			[]string{"environment.beta", "environment.internal", "environment.production"}},
		{"only a stage pulls in what it needs", Options{Only: []string{"test.unit"}},
			[]string{"build.webapp.compile", "test.unit.go-test", "test.unit.vet"}, false, nil},
		{"only a kind", Options{Only: []string{"build"}}, []string{"build.webapp.compile"}, false, nil},
		{"only package keeps the release", Options{Only: []string{"package"}},
			[]string{"build.webapp.compile", "test.unit.go-test", "test.unit.vet"}, true, nil},
		{"only an environment by name", Options{Only: []string{"beta"}},
			[]string{"build.webapp.compile", "environment.beta.rollout", "environment.beta.smoke",
				"environment.internal.rollout", "test.unit.go-test", "test.unit.vet"}, true,
			[]string{"environment.beta", "environment.internal"}},
		{"until stops after an environment", Options{Until: "internal"},
			[]string{"build.webapp.compile", "environment.internal.rollout", "test.unit.go-test", "test.unit.vet"}, true,
			[]string{"environment.internal"}},
		{"skip a kind-order stage", Options{Skip: []string{"test"}},
			[]string{"build.webapp.compile", "environment.beta.rollout", "environment.beta.smoke",
				"environment.internal.rollout", "environment.production.rollout"}, true,
			[]string{"environment.beta", "environment.internal", "environment.production"}},
		{"skip environments", Options{Skip: []string{"environment"}},
			[]string{"build.webapp.compile", "test.unit.go-test", "test.unit.vet"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(cfg, tt.opts)
			require.NoError(t, err)
			if diff := cmp.Diff(tt.steps, nodeIDs(p, KindStep)); diff != "" {
				t.Errorf("New(%+v) steps mismatch (-want +got):\n%s", tt.opts, diff)
			}
			if got := p.Node(ReleaseID) != nil; got != tt.release {
				t.Errorf("New(%+v) has release = %v; want %v", tt.opts, got, tt.release)
			}
			if diff := cmp.Diff(tt.deploys, nodeIDs(p, KindDeploy)); diff != "" {
				t.Errorf("New(%+v) deployments mismatch (-want +got):\n%s", tt.opts, diff)
			}
		})
	}
	// Skipping the test stage keeps the order: the package follows the build.
	p, err := New(cfg, Options{Skip: []string{"test"}})
	require.NoError(t, err)
	if got, want := p.Node("package.webapp").Needs, []string{"build.webapp"}; !cmp.Equal(got, want) {
		t.Errorf("with --skip test, package.webapp needs %v; want %v", got, want)
	}
}

func TestSelectionErrors(t *testing.T) {
	cfg := designConfig(t)
	tests := []struct {
		name string
		opts Options
		want []SelectionProblem // Detail ignored
	}{
		{"skip a required environment", Options{Only: []string{"beta"}, Skip: []string{"environment.internal"}},
			[]SelectionProblem{{Flag: "--skip", Stage: "environment.beta", Missing: "environment.internal"}}},
		{"skip a package an environment deploys", Options{Until: "internal", Skip: []string{"package.webapp"}},
			[]SelectionProblem{{Flag: "--skip", Stage: "environment.internal", Missing: "package.webapp"}}},
		{"unknown names", Options{Only: []string{"nope"}, Skip: []string{"test.nope"}, Until: "build.webapp"},
			[]SelectionProblem{
				{Flag: "--only", Name: "nope"},
				{Flag: "--until", Name: "build.webapp"},
				{Flag: "--skip", Name: "test.nope"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(cfg, tt.opts)
			if p != nil {
				t.Errorf("New(%+v) plan = non-nil; want nil", tt.opts)
			}
			if !errors.Is(err, ErrSelection) {
				t.Fatalf("New(%+v) error = %v; want ErrSelection", tt.opts, err)
			}
			var se *SelectionError
			require.True(t, errors.As(err, &se))
			for _, p := range se.Problems {
				if p.Detail == "" {
					t.Errorf("problem %+v has no Detail", p)
				}
				if p.Missing != "" && !strings.Contains(p.Detail, p.Missing) {
					t.Errorf("Detail %q does not name the missing dependency %q", p.Detail, p.Missing)
				}
			}
			if diff := cmp.Diff(tt.want, se.Problems, cmpIgnoreDetail); diff != "" {
				t.Errorf("New(%+v) problems mismatch (-want +got):\n%s", tt.opts, diff)
			}
		})
	}
}

// TestUntilDetail checks that the --until problem names the environments
// to choose from, and says so plainly when the pipeline has none.
func TestUntilDetail(t *testing.T) {
	noEnvs := func(cfg *dsl.Config) {
		var kept []*dsl.Stage
		for _, s := range cfg.Stages {
			if s.Kind != dsl.KindEnvironment {
				kept = append(kept, s)
			}
		}
		cfg.Stages = kept
	}
	tests := []struct {
		name     string
		mutate   func(cfg *dsl.Config)
		want     string
		wantNone string
	}{
		{"environments to choose from", func(*dsl.Config) {}, "Name one of: beta, internal, production.", "has no environments"},
		{"no environments", noEnvs, "the pipeline has no environments", "Name one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := designConfig(t)
			tt.mutate(cfg)
			_, err := New(cfg, Options{Until: "nosuch"})
			var se *SelectionError
			require.True(t, errors.As(err, &se), "New(Until: nosuch) error = %v; want a SelectionError", err)
			require.Len(t, se.Problems, 1)
			d := se.Problems[0].Detail
			if !strings.Contains(d, tt.want) {
				t.Errorf("New(Until: %q) Detail = %q; want it to contain %q", "nosuch", d, tt.want)
			}
			if strings.Contains(d, tt.wantNone) {
				t.Errorf("New(Until: %q) Detail = %q; want it without %q", "nosuch", d, tt.wantNone)
			}
		})
	}
}

var cmpIgnoreDetail = cmp.Transformer("noDetail", func(p SelectionProblem) SelectionProblem {
	p.Detail = ""
	return p
})

// TestConfigProblems feeds New configs that dsl would have rejected, to
// check that they come back as diagnostics and never as a panic.
func TestConfigProblems(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(cfg *dsl.Config)
		summary string
	}{
		{"nil pipeline", func(cfg *dsl.Config) { cfg.Pipeline = nil }, "Missing Pipeline Block"},
		{"stage cycle", func(cfg *dsl.Config) {
			s := cfg.Stage(dsl.KindBuild, "webapp")
			s.NeedsSet = true
			s.Needs = []dsl.StageRef{{Kind: dsl.KindTest, Name: "unit"}}
		}, "Dependency Cycle"},
		{"step needs a missing sibling", func(cfg *dsl.Config) {
			cfg.Stage(dsl.KindTest, "unit").Steps[0].Needs = []string{"ghost"}
		}, "Reference to Undeclared Step"},
		{"duplicate step", func(cfg *dsl.Config) {
			s := cfg.Stage(dsl.KindTest, "unit")
			s.Steps = append(s.Steps, s.Steps[0])
		}, "Duplicate Plan Node"},
		{"needs a missing stage", func(cfg *dsl.Config) {
			s := cfg.Stage(dsl.KindTest, "unit")
			s.NeedsSet = true
			s.Needs = []dsl.StageRef{{Kind: dsl.KindBuild, Name: "ghost"}}
		}, "Reference to Undeclared Stage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := designConfig(t)
			tt.mutate(cfg)
			p, err := New(cfg, Options{})
			var diags hcl.Diagnostics
			if p != nil || !errors.As(err, &diags) {
				t.Fatalf("New() = %v, %v; want nil, hcl.Diagnostics", p, err)
			}
			var summaries []string
			for _, d := range diags {
				summaries = append(summaries, d.Summary)
				if d.Detail == "" {
					t.Errorf("diagnostic %q has no Detail", d.Summary)
				}
			}
			if !contains(summaries, tt.summary) {
				t.Errorf("New() diagnostics = %v; want one %q", summaries, tt.summary)
			}
		})
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Errorf("New(nil) error = nil; want a diagnostic")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestUnknownValuesNeverZero checks that values only known at run time
// are shown with their source, never as empty strings or Go zero values.
func TestUnknownValuesNeverZero(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(corpusDir, "runtime-values", "pipeline.hcl"))
	require.NoError(t, err)
	p, err := New(loadHCL(t, string(b)), Options{})
	require.NoError(t, err)
	var text, js bytes.Buffer
	require.NoError(t, p.WriteText(&text))
	require.NoError(t, p.WriteJSON(&js))
	for _, want := range []string{
		`"make VERSION=${release.version} RUN=${run.id}"  (known after run)`,
		`RUN_ID=run.id  (known after run)`,
		`"deploy ${release.artifacts.bin} ${release.images.app}"  (known after package)`,
		`"2.0.${git.commit_count}-${run.id}"  (known after run)`,
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("WriteText() lacks %q", want)
		}
	}
	for _, bad := range []string{"<nil>", "%!", "0001-01-01", "run:           \n"} {
		if strings.Contains(text.String(), bad) {
			t.Errorf("WriteText() contains %q", bad)
		}
	}
	if !strings.Contains(js.String(), `"display": "\"deploy ${release.artifacts.bin} ${release.images.app}\"  (known after package)"`) {
		t.Errorf("WriteJSON() lacks the display of an unknown run script:\n%s", js.String())
	}
	// With the scope filled in, the same values are known.
	p, err = New(loadHCL(t, string(b)), Options{Scope: dsl.Scope{RunID: "r1", Release: &dsl.ReleaseValues{
		Version: "2.0.42-r1", Artifacts: map[string]string{"bin": "a/bin"}, Images: map[string]string{"app": "sha256:abc"},
	}}})
	require.NoError(t, err)
	if got := p.Node("environment.qa.deploy").Step.Values.Run.Display(); got != "deploy a/bin sha256:abc" {
		t.Errorf("run with known release = %q; want %q", got, "deploy a/bin sha256:abc")
	}
}
