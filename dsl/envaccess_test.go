package dsl

import (
	"slices"
	"testing"
	"testing/fstest"
)

// TestEnvReadAndHide checks that env() reads are recorded, at load time
// and later, and that a hidden variable reads as unset from then on.
func TestEnvReadAndHide(t *testing.T) {
	src := `
pipeline "p" {
  image = "busybox"
}
locals {
  hook = env("CHAT_WEBHOOK")
}
test "unit" {
  step "check" {
    run = "echo ${env("PROD_TOKEN")} ${release.version}"
  }
}
`
	env := map[string]string{"PROD_TOKEN": "tok-value", "CHAT_WEBHOOK": "https://chat"}
	cfg, diags := NewParser().LoadDir(fstest.MapFS{"pipeline.hcl": {Data: []byte(src)}}, LoadOptions{
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	if diags.HasErrors() {
		t.Fatalf("LoadDir: %s", diags.Error())
	}
	if got, want := cfg.EnvRead(), []string{"CHAT_WEBHOOK", "PROD_TOKEN"}; !slices.Equal(got, want) {
		t.Errorf("EnvRead() = %q; want %q", got, want)
	}
	st := cfg.Stages[0]
	scope := Scope{RunID: "r1", Release: &ReleaseValues{Version: "1.0"}}
	v, diags := cfg.EvalStep(st, st.Steps[0], scope)
	if diags.HasErrors() || v.Run == nil || v.Run.Value != "echo tok-value 1.0" {
		t.Fatalf("EvalStep before HideEnv = %+v, %v; want the value read", v, diags)
	}
	cfg.HideEnv(func(name string) bool { return name == "PROD_TOKEN" })
	v, diags = cfg.EvalStep(st, st.Steps[0], scope)
	if diags.HasErrors() || v.Run == nil || v.Run.Value != "echo  1.0" {
		t.Errorf("EvalStep after HideEnv(PROD_TOKEN) = %+v, %v; want it read as unset", v.Run, diags)
	}
}
