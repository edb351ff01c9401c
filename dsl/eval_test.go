package dsl

import (
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

const evalConfig = `
pipeline "webapp" {
  image   = "golang:1.26"
  version = "1.4.${git.commit_count}"
}

package "webapp" {
  step "compile" { run = "go build" }
  artifact "binary" { path = "dist/webapp" }
  image "webapp" { context = "." }
}

environment "prod" {
  step "deploy" {
    image   = "alpine:3.20"
    command = ["deploy", release.version, release.artifacts.binary]
    env     = { IMAGE = release.images.webapp, RUN = run.id, SHA = git.short_sha }
    workdir = "srv/${git.branch}"
    when    = git.branch == "main"
  }
  step "plain" {
    run = "echo ${run.id} on ${git.author}"
  }
}
`

func loadEval(t *testing.T, git GitInfo) *Config {
	t.Helper()
	cfg, diags := NewParser().LoadDir(fstest.MapFS{"pipeline.hcl": {Data: []byte(evalConfig)}}, LoadOptions{Git: git})
	if len(diags) > 0 {
		t.Fatalf("LoadDir: %s", diags.Error())
	}
	return cfg
}

func TestEvalStep(t *testing.T) {
	git := GitInfo{SHA: "0123456789abcdef", ShortSHA: "0123456", Branch: "main", Author: "ann@example.com", CommitCount: 42, Known: true}
	known := Scope{RunID: "r-1", Release: &ReleaseValues{
		Version:   "1.4.42",
		Artifacts: map[string]string{"binary": "sha256/abc"},
		Images:    map[string]string{"webapp": "sha256:def"},
	}}
	tests := []struct {
		name  string
		git   GitInfo
		scope Scope
		step  string
		want  *StepValues
	}{
		{
			name: "all known", git: git, scope: known, step: "deploy",
			want: &StepValues{
				Command: []Text{
					{Value: "deploy", Known: true, Source: `"deploy"`},
					{Value: "1.4.42", Known: true, Source: "release.version"},
					{Value: "sha256/abc", Known: true, Source: "release.artifacts.binary"},
				},
				Image: Text{Value: "alpine:3.20", Known: true, Source: `"alpine:3.20"`},
				Env: map[string]Text{
					"IMAGE": {Value: "sha256:def", Known: true, Source: "release.images.webapp"},
					"RUN":   {Value: "r-1", Known: true, Source: "run.id"},
					"SHA":   {Value: "0123456", Known: true, Source: "git.short_sha"},
				},
				Workdir: &Text{Value: "srv/main", Known: true, Source: `"srv/${git.branch}"`},
				When:    Bool{Value: true, Known: true, Source: `git.branch == "main"`},
			},
		},
		{
			name: "before the run", git: git, step: "deploy",
			want: &StepValues{
				Command: []Text{
					{Value: "deploy", Known: true, Source: `"deploy"`},
					{Source: "release.version", After: "run"},
					{Source: "release.artifacts.binary", After: "package"},
				},
				Image: Text{Value: "alpine:3.20", Known: true, Source: `"alpine:3.20"`},
				Env: map[string]Text{
					"IMAGE": {Source: "release.images.webapp", After: "package"},
					"RUN":   {Source: "run.id", After: "run"},
					"SHA":   {Value: "0123456", Known: true, Source: "git.short_sha"},
				},
				Workdir: &Text{Value: "srv/main", Known: true, Source: `"srv/${git.branch}"`},
				When:    Bool{Value: true, Known: true, Source: `git.branch == "main"`},
			},
		},
		{
			name: "git unknown", git: GitInfo{CommitCount: -1}, scope: known, step: "deploy",
			want: &StepValues{
				Command: []Text{
					{Value: "deploy", Known: true, Source: `"deploy"`},
					{Value: "1.4.42", Known: true, Source: "release.version"},
					{Value: "sha256/abc", Known: true, Source: "release.artifacts.binary"},
				},
				Image: Text{Value: "alpine:3.20", Known: true, Source: `"alpine:3.20"`},
				Env: map[string]Text{
					"IMAGE": {Value: "sha256:def", Known: true, Source: "release.images.webapp"},
					"RUN":   {Value: "r-1", Known: true, Source: "run.id"},
					"SHA":   {Source: "git.short_sha", After: "run"},
				},
				Workdir: &Text{Source: `"srv/${git.branch}"`, After: "run"},
				When:    Bool{Source: `git.branch == "main"`, After: "run"},
			},
		},
		{
			name: "pipeline default image", git: git, scope: known, step: "plain",
			want: &StepValues{
				Run:   &Text{Value: "echo r-1 on ann@example.com", Known: true, Source: `"echo ${run.id} on ${git.author}"`},
				Image: Text{Value: "golang:1.26", Known: true},
				When:  Bool{Value: true, Known: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadEval(t, tt.git)
			stage := cfg.Stage(KindEnvironment, "prod")
			var step *Step
			for _, s := range stage.Steps {
				if s.Name == tt.step {
					step = s
				}
			}
			got, diags := cfg.EvalStep(stage, step, tt.scope)
			if len(diags) > 0 {
				t.Fatalf("EvalStep(%s): %s", tt.step, diags.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("EvalStep(%s) mismatch (-want +got):\n%s", tt.step, diff)
			}
		})
	}
}

func TestEvalText(t *testing.T) {
	cfg := loadEval(t, GitInfo{CommitCount: 7, Known: true})
	tests := []struct {
		name string
		expr hcl.Expression
		want Text
	}{
		{name: "nil", expr: nil, want: Text{Known: true}},
		{name: "version", expr: cfg.Pipeline.Version, want: Text{Value: "1.4.7", Known: true, Source: `"1.4.${git.commit_count}"`}},
		{name: "artifact path", expr: cfg.Stages[0].Artifacts[0].Path, want: Text{Value: "dist/webapp", Known: true, Source: `"dist/webapp"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := cfg.EvalText(tt.expr, Scope{})
			if len(diags) > 0 {
				t.Fatalf("EvalText: %s", diags.Error())
			}
			if got != tt.want {
				t.Errorf("EvalText(%s) = %+v; want %+v", tt.name, got, tt.want)
			}
		})
	}
}

func TestEvalTextUnknownVersion(t *testing.T) {
	cfg := loadEval(t, GitInfo{CommitCount: -1})
	got, diags := cfg.EvalText(cfg.Pipeline.Version, Scope{})
	if len(diags) > 0 {
		t.Fatalf("EvalText: %s", diags.Error())
	}
	want := `"1.4.${git.commit_count}"  (known after run)`
	if got.Known || got.Display() != want {
		t.Errorf("EvalText(version).Display() = %q (known %v); want %q unknown", got.Display(), got.Known, want)
	}
}

func TestEvalStepErrors(t *testing.T) {
	cfg := loadEval(t, GitInfo{CommitCount: -1})
	stage := cfg.Stage(KindEnvironment, "prod")
	// A release without the declared artifact is still type-correct: the
	// value stays unknown. An undeclared name is an error at load time and
	// is covered by the invalid corpus.
	got, diags := cfg.EvalStep(stage, stage.Steps[0], Scope{Release: &ReleaseValues{Version: "1", Artifacts: map[string]string{}}})
	if len(diags) > 0 {
		t.Fatalf("EvalStep: %s", diags.Error())
	}
	if got.Command[2].Known {
		t.Errorf("EvalStep: release.artifacts.binary known = true with no artifact recorded; want unknown")
	}

	var empty Config
	if _, diags := empty.EvalStep(stage, stage.Steps[0], Scope{}); !diags.HasErrors() || diags[0].Summary != "Config Not Loaded" {
		t.Errorf("EvalStep on a Config not from LoadDir = %v; want Config Not Loaded", diags)
	}
}

// TestEvalStepConcurrent backs the promise that a loaded Config may be
// evaluated from several goroutines; run it with -race.
func TestEvalStepConcurrent(t *testing.T) {
	cfg := loadEval(t, GitInfo{ShortSHA: "abc", Branch: "main", CommitCount: 1, Known: true})
	stage := cfg.Stage(KindEnvironment, "prod")
	done := make(chan string, 8)
	for i := range 8 {
		go func() {
			scope := Scope{RunID: fmt.Sprint("r", i), Release: &ReleaseValues{Version: "1"}}
			v, diags := cfg.EvalStep(stage, stage.Steps[0], scope)
			if diags.HasErrors() {
				done <- diags.Error()
				return
			}
			done <- v.Env["RUN"].Value
		}()
	}
	seen := map[string]bool{}
	for range 8 {
		seen[<-done] = true
	}
	for i := range 8 {
		if want := fmt.Sprint("r", i); !seen[want] {
			t.Errorf("concurrent EvalStep results %v lack %q", seen, want)
		}
	}
}

func TestConfigStage(t *testing.T) {
	cfg := loadEval(t, GitInfo{CommitCount: -1})
	var linear Config
	linear.Stages = cfg.Stages
	tests := []struct {
		kind StageKind
		name string
		want *Stage
	}{
		{KindPackage, "webapp", cfg.Stages[0]},
		{KindEnvironment, "prod", cfg.Stages[1]},
		{KindBuild, "webapp", nil},
		{KindEnvironment, "nope", nil},
	}
	for _, tt := range tests {
		if got := cfg.Stage(tt.kind, tt.name); got != tt.want {
			t.Errorf("Stage(%s, %q) = %v; want %v", tt.kind, tt.name, got, tt.want)
		}
		if got := linear.Stage(tt.kind, tt.name); got != tt.want {
			t.Errorf("Stage(%s, %q) without index = %v; want %v", tt.kind, tt.name, got, tt.want)
		}
	}
}
