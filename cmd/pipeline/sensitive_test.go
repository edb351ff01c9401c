package main

import (
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/gittest"
)

const sensitiveBase = `pipeline "s" {
  image = "alpine:3.20"
}

variable "api_key" {
  type      = string
  sensitive = true
  default   = "base-default-key-value"
}

build "app" {
  step "x" {
    runner = "local"
    run    = "deploy --key ${var.api_key}"
  }
}
`

// TestSensitiveNeverPrinted checks that plan, validate (a diagnostic that
// quotes the value) and every diff format show (sensitive) in place of a
// sensitive variable's value and default, and say when the default changed.
func TestSensitiveNeverPrinted(t *testing.T) {
	t.Setenv("PIPELINE_STATE", "")
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "base", map[string]string{"pipeline.hcl": sensitiveBase})
	head := strings.NewReplacer("base-default-key-value", "head-default-key-value", "deploy --key", "deploy2 --key").Replace(sensitiveBase)
	gittest.Write(t, dir, map[string]string{"pipeline.hcl": head})
	values := []string{"base-default-key-value", "head-default-key-value", "given-key-value"}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"plan", []string{"plan", "-var", "api_key=given-key-value"}, 0, "deploy2 --key (sensitive)"},
		{"plan --json", []string{"plan", "--json"}, 0, "deploy2 --key (sensitive)"},
		{"diff", []string{"diff", "--base", "HEAD"}, -1, "default: (sensitive) -> (sensitive, changed)"},
		{"diff markdown", []string{"diff", "--base", "HEAD", "--format", "markdown"}, -1, "(sensitive, changed)"},
		{"diff json", []string{"diff", "--base", "HEAD", "--format", "json"}, -1, "(sensitive, changed)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(tt.args, "-C", dir)...)
			if tt.code >= 0 && code != tt.code {
				t.Fatalf("pipeline %v exit code = %d; want %d (stderr %q)", tt.args, code, tt.code, stderr)
			}
			if !strings.Contains(stdout, tt.want) {
				t.Errorf("pipeline %v stdout = %q; want it to contain %q", tt.args, stdout, tt.want)
			}
			for _, v := range values {
				if strings.Contains(stdout+stderr, v) {
					t.Errorf("pipeline %v prints the sensitive value %q:\n%s%s", tt.args, v, stdout, stderr)
				}
			}
		})
	}
	t.Run("validate diagnostic", func(t *testing.T) {
		bad := strings.Replace(head, `runner = "local"`, `runner  = "local"`+"\n    timeout = var.api_key", 1)
		gittest.Write(t, dir, map[string]string{"pipeline.hcl": bad})
		code, stdout, stderr := runCLI(t, "validate", "-var", "api_key=given-key-value", "-C", dir)
		if code != exitUsage || !strings.Contains(stdout+stderr, `timeout = "(sensitive)" is not a valid duration`) {
			t.Errorf("pipeline validate exit code = %d, output %q%q; want %d and the diagnostic quoting (sensitive)", code, stdout, stderr, exitUsage)
		}
		for _, v := range values {
			if strings.Contains(stdout+stderr, v) {
				t.Errorf("pipeline validate prints the sensitive value %q", v)
			}
		}
	})
}
