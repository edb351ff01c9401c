package runners

import (
	"errors"
	"slices"
	"testing"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		step    *Step
		wantErr bool
	}{
		{"nil", nil, true},
		{"empty", &Step{ID: "a"}, true},
		{"both", &Step{ID: "a", Script: "true", Command: []string{"true"}}, true},
		{"empty program", &Step{ID: "a", Command: []string{""}}, true},
		{"workdir escapes", &Step{ID: "a", Script: "true", Workdir: "../x"}, true},
		{"absolute workdir", &Step{ID: "a", Script: "true", Workdir: "/etc"}, true},
		{"script", &Step{ID: "a", Script: "true", Workdir: "sub/dir"}, false},
		{"command", &Step{ID: "a", Command: []string{"echo", "hi"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.step.Validate()
			if got := errors.Is(err, ErrInvalidStep); got != tt.wantErr {
				t.Errorf("Validate(%+v) = %v; want ErrInvalidStep: %v", tt.step, err, tt.wantErr)
			}
		})
	}
}

func TestArgv(t *testing.T) {
	tests := []struct {
		step *Step
		want []string
	}{
		{&Step{Script: "echo hi"}, []string{"sh", "-c", "echo hi"}},
		{&Step{Command: []string{"echo", "a b"}}, []string{"echo", "a b"}},
	}
	for _, tt := range tests {
		if got := tt.step.Argv(); !slices.Equal(got, tt.want) {
			t.Errorf("Argv(%+v) = %q; want %q", tt.step, got, tt.want)
		}
	}
}
