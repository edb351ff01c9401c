package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

const envPipeline = `pipeline "demo" {
  image = "alpine:3.20"
}

build "app" {
  step "compile" {
    run = "echo compile"
  }
}

environment "production" {
  step "rollout" {
    run = "echo rollout"
  }
}
`

// TestUnknownEnvironmentCLI checks that the commands naming an environment
// refuse one the config does not define with exit code 2, the list of
// environments and a did-you-mean, and accept the ones it does.
func TestUnknownEnvironmentCLI(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pipeline.hcl": envPipeline})
	db := filepath.Join(t.TempDir(), "state.db")
	st, err := sqlite.Open(t.Context(), db, nil) // history reads an existing store only
	if err != nil {
		t.Fatalf("sqlite.Open(%q) = %v", db, err)
	}
	_ = st.Close()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  []string
	}{
		{"history of an unknown environment", []string{"history", "--env", "nosuch"}, 2,
			[]string{`unknown environment "nosuch"`, "environments are: production"}},
		{"history of a misspelt environment", []string{"history", "--env", "prodution"}, 2,
			[]string{`Did you mean "production"?`}},
		{"history of a known environment", []string{"history", "--env", "production"}, 0, nil},
		{"history of every environment", []string{"history"}, 0, nil},
		{"rollback of an unknown environment", []string{"rollback", "staging", "--runner", "local"}, 2,
			[]string{`unknown environment "staging"`, "environments are: production"}},
		{"deploy of a misspelt environment", []string{"deploy", "prodution", "--release", "1.0.0", "--runner", "local"}, 2,
			[]string{`Did you mean "production"?`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{}, tt.args...), "-C", dir, "--state", "sqlite:"+db)
			code, _, stderr := runCLI(t, args...)
			if code != tt.wantCode {
				t.Fatalf("pipeline %s exit code = %d; want %d (stderr %q)", strings.Join(tt.args, " "), code, tt.wantCode, stderr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("pipeline %s stderr = %q; want it to contain %q", strings.Join(tt.args, " "), stderr, w)
				}
			}
		})
	}
}
