package dsl

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

const sensitiveConfig = `
pipeline "p" {
  image = "alpine:3.20"
}

variable "api_key" {
  type      = string
  sensitive = true
}

variable "hosts" {
  type      = list(string)
  sensitive = true
  default   = ["db-primary.internal", "db-replica.internal"]
}

variable "port" {
  type      = number
  sensitive = true
  default   = 54321
}

variable "plain" {
  default   = "not-secret-at-all"
  sensitive = false
}

build "a" {
  step "s" { run = "echo ${var.api_key} ${var.plain} ${var.port} ${join(",", var.hosts)}" }
}
`

func TestSensitiveVariables(t *testing.T) {
	cfg, diags := NewParser().LoadDir(fstest.MapFS{"pipeline.hcl": {Data: []byte(sensitiveConfig)}}, LoadOptions{
		Getenv: func(string) (string, bool) { return "", false },
		Vars:   []VarArg{{Name: "api_key", Value: "k3y-value"}},
	})
	if diags.HasErrors() {
		t.Fatalf("LoadDir = %v", diags)
	}
	got := map[string]bool{}
	for name, v := range cfg.Variables {
		got[name] = v.Sensitive
	}
	want := map[string]bool{"api_key": true, "hosts": true, "port": true, "plain": false}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Variable.Sensitive (-want +got):\n%s", d)
	}
	wantValues := []string{"54321", "db-primary.internal", "db-replica.internal", "k3y-value"}
	if d := cmp.Diff(wantValues, cfg.SensitiveValues()); d != "" {
		t.Errorf("SensitiveValues() (-want +got):\n%s", d)
	}
}

func TestSensitiveMustBeLiteralBool(t *testing.T) {
	for _, val := range []string{`"yes"`, `var.x`, `1`} {
		src := "variable \"x\" {\n  default = \"a\"\n  sensitive = " + val + "\n}\n"
		_, diags := NewParser().LoadDir(fstest.MapFS{"pipeline.hcl": {Data: []byte(src)}}, LoadOptions{
			Getenv: func(string) (string, bool) { return "", false },
		})
		var found bool
		for _, d := range diags {
			if d.Subject != nil && d.Subject.Start.Line == 3 {
				found = true
			}
		}
		if !found || !diags.HasErrors() {
			t.Errorf("sensitive = %s: diagnostics %v; want an error on line 3", val, diags)
		}
	}
}
