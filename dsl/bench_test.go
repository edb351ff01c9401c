package dsl

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// generateConfig writes a pipeline with the given number of stages, spread
// over the four kinds, each with stepsPerStage steps that chain with needs,
// use variables, locals and run-time values, and stage needs between
// neighbours. It writes stagesPerFile stages per file, so that the file
// size stays the same as the config grows, as it would in a real project. Steps look like the
// ones in DESIGN.md: every step has run and most have needs; every second
// one sets a timeout, every fifth an env map and every tenth retries.
func generateConfig(stages, stepsPerStage int) fstest.MapFS {
	const stagesPerFile = 10
	files := make([]strings.Builder, (stages+stagesPerFile-1)/stagesPerFile)
	head := &files[0]
	head.WriteString(`pipeline "big" {
  image   = "golang:1.26"
  version = "1.0.${git.commit_count}"
}

variable "flags" {
  type    = string
  default = "-trimpath"
}

locals {
  out = "dist"
}

secret "token" {
  env = "TOKEN"
}

group "ops" {
  members = ["ops@example.com"]
}
`)
	perKind := stages / len(StageKinds)
	n := 0
	for ki, kind := range StageKinds {
		for i := 0; i < perKind; i++ {
			b := &files[n%len(files)]
			n++
			fmt.Fprintf(b, "\n%s \"s%d\" {\n", kind, i)
			if i > 0 && i%2 == 0 {
				fmt.Fprintf(b, "  needs = [%s.s%d]\n", kind, i-1)
			}
			if kind == KindEnvironment && i > 0 {
				fmt.Fprintf(b, "  requires = [environment.s%d]\n  branches = [\"main\"]\n", i-1)
				fmt.Fprintf(b, "  gate \"g\" {\n    approvers = [\"group:ops\", \"author\"]\n    timeout = \"72h\"\n  }\n")
			}
			if kind == KindPackage {
				fmt.Fprintf(b, "  artifact \"a%d\" {\n    path = \"${local.out}/a%d\"\n  }\n", i, i)
			}
			for j := 0; j < stepsPerStage; j++ {
				fmt.Fprintf(b, "  step \"st%d\" {\n", j)
				switch {
				case kind == KindEnvironment && i > 0:
					fmt.Fprintf(b, "    run     = \"deploy ${release.version} ${release.artifacts.a%d}\"\n    secrets = [secret.token]\n", i%perKind)
				default:
					fmt.Fprintf(b, "    run = \"go build ${var.flags} -o ${local.out}/%d-%d ./cmd/%d\"\n", ki, i, j)
				}
				if j%2 == 0 {
					b.WriteString("    timeout = \"10m\"\n")
				}
				if j%5 == 0 {
					fmt.Fprintf(b, "    env     = { STEP = \"%d\", SHA = git.sha }\n", j)
				}
				if j%10 == 0 {
					b.WriteString("    retries = 1\n")
				}
				if j > 0 {
					fmt.Fprintf(b, "    needs   = [step.st%d]\n", j-1)
				}
				b.WriteString("  }\n")
			}
			b.WriteString("}\n")
		}
	}
	fsys := fstest.MapFS{}
	for i := range files {
		fsys[fmt.Sprintf("part%04d.pipeline.hcl", i)] = &fstest.MapFile{Data: []byte(files[i].String())}
	}
	return fsys
}

func benchmarkValidate(b *testing.B, stages, steps int) {
	fsys := generateConfig(stages, steps)
	opts := LoadOptions{Git: GitInfo{CommitCount: -1}, Getenv: func(string) (string, bool) { return "", false }}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		cfg, diags := NewParser().LoadDir(fsys, opts)
		if len(diags) > 0 {
			b.Fatalf("generated config: %s", diags.Error())
		}
		if got := len(cfg.Stages); got != stages {
			b.Fatalf("generated config has %d stages; want %d", got, stages)
		}
	}
}

// BenchmarkValidate5k loads and validates 5,000 steps in 500 stages.
func BenchmarkValidate5k(b *testing.B) { benchmarkValidate(b, 500, 10) }

// BenchmarkValidate50k loads and validates 50,000 steps in 5,000 stages.
func BenchmarkValidate50k(b *testing.B) { benchmarkValidate(b, 5000, 10) }

// TestGeneratedConfigIsValid keeps the benchmark generator honest: its
// output loads without diagnostics and has the expected shape.
func TestGeneratedConfigIsValid(t *testing.T) {
	cfg, diags := NewParser().LoadDir(generateConfig(40, 3), LoadOptions{Git: GitInfo{CommitCount: -1}})
	if len(diags) > 0 {
		t.Fatalf("LoadDir(generated): %s", diags.Error())
	}
	steps := 0
	for _, s := range cfg.Stages {
		steps += len(s.Steps)
	}
	if len(cfg.Stages) != 40 || steps != 120 {
		t.Errorf("generated config = %d stages, %d steps; want 40, 120", len(cfg.Stages), steps)
	}
}
