package dsl_test

import (
	"fmt"
	"os"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/dsl"
)

func ExampleParser_LoadDir() {
	fsys := fstest.MapFS{
		"pipeline.hcl": {Data: []byte(`
pipeline "webapp" {
  image = "golang:1.26"
}

variable "flags" {
  default = "-trimpath"
}

build "webapp" {
  step "compile" {
    run = "go build ${var.flags} ./..."
  }
}

environment "production" {
  step "rollout" {
    run = "./deploy.sh ${release.version}"
  }
}
`)},
	}
	p := dsl.NewParser()
	cfg, diags := p.LoadDir(fsys, dsl.LoadOptions{
		FilenamePrefix: "examples/webapp/",
		Vars:           []dsl.VarArg{{Name: "flags", Value: "-race"}},
		Getenv:         func(string) (string, bool) { return "", false },
	})
	if diags.HasErrors() {
		wr := hcl.NewDiagnosticTextWriter(os.Stdout, p.Files(), 78, false)
		_ = wr.WriteDiagnostics(diags)
		return
	}
	for _, stage := range cfg.Stages {
		for _, step := range stage.Steps {
			v, _ := cfg.EvalStep(stage, step, dsl.Scope{})
			fmt.Printf("%s %s: %s\n", stage.Address(), step.Name, v.Run.Display())
		}
	}
	// Output:
	// build.webapp compile: go build -race ./...
	// environment.production rollout: "./deploy.sh ${release.version}"  (known after run)
}

func ExampleParser_LoadDir_diagnostics() {
	fsys := fstest.MapFS{
		"pipeline.hcl": {Data: []byte(`pipeline "webapp" {
  image = "golang:1.26"
}

test "unit" {
  needs = [build.webap]
  step "go-test" { run = "go test ./..." }
}

build "webapp" {
  step "compile" { run = "go build ./..." }
}
`)},
	}
	_, diags := dsl.NewParser().LoadDir(fsys, dsl.LoadOptions{FilenamePrefix: "examples/webapp/"})
	for _, d := range diags {
		fmt.Printf("%s:%d:%d: %s\n%s\n", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary, d.Detail)
	}
	// Output:
	// examples/webapp/pipeline.hcl:6:12: Reference to Undeclared Stage
	// build.webap refers to stage "build.webap", which is not declared. Did you mean "build.webapp"? Declare a build "webap" block, or fix the reference.
}
