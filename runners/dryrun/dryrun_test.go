package dryrun

import (
	"context"
	"slices"
	"testing"

	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/runnertest"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestConformance(t *testing.T) {
	runnertest.Run(t, func(t *testing.T) runners.Runner { return New(false) }, runnertest.Options{DryRun: true})
}

func TestSteps(t *testing.T) {
	r := New(false)
	ids := []string{"build.app.compile", "test.unit.vet", "test.unit.go-test"}
	for _, id := range ids {
		res, err := r.Run(context.Background(), &runners.Step{ID: id, Script: "exit 1"}, nil, nil)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("Run(%q) = %+v, %v; want exit 0, nil", id, res, err)
		}
	}
	if _, err := r.Run(context.Background(), &runners.Step{ID: "bad"}, nil, nil); err == nil {
		t.Fatalf("Run(step without script) = nil error; want an error")
	}
	if got := r.Steps(); !slices.Equal(got, ids) {
		t.Errorf("Steps() = %q; want %q", got, ids)
	}
}

func TestAllowPrivileged(t *testing.T) {
	step := &runners.Step{ID: "p", Script: "true", Privileged: true, Mounts: []string{"/var/run/docker.sock:/var/run/docker.sock"}}
	if _, err := New(true).Run(context.Background(), step, nil, nil); err != nil {
		t.Errorf("Run(privileged) with AllowPrivileged = %v; want nil", err)
	}
}
