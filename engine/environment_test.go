package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
)

// TestUnknownEnvironment checks that deploy and rollback of an environment
// the config does not define fail with exit code 2, name the environments
// and suggest the closest one, before anything else is looked at.
func TestUnknownEnvironment(t *testing.T) {
	r := newRepo(t, nil)
	f := newFixture(t, r)
	c := ctx(t)
	if err := f.commitAndRun(r, 1)(c); err != nil {
		t.Fatalf("run 1.0.1: %v", err)
	}
	tests := []struct {
		name     string
		act      func(engine.DeployRequest) error
		env      string
		wantMean string
	}{
		{"rollback of an environment never declared", func(req engine.DeployRequest) error {
			_, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: req})
			return err
		}, "staging", ""},
		{"rollback of a misspelt environment", func(req engine.DeployRequest) error {
			_, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: req})
			return err
		}, "prodution", `Did you mean "production"?`},
		{"rollback --to of a misspelt environment", func(req engine.DeployRequest) error {
			_, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: req, To: "1.0.1"})
			return err
		}, "prodution", `Did you mean "production"?`},
		{"deploy of a misspelt environment", func(req engine.DeployRequest) error {
			req.Version = "1.0.1"
			_, err := f.eng.Deploy(c, req)
			return err
		}, "prodution", `Did you mean "production"?`},
		{"deploy of an unknown environment and release", func(req engine.DeployRequest) error {
			req.Version = "9.9.9"
			_, err := f.eng.Deploy(c, req)
			return err
		}, "staging", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.act(engine.DeployRequest{Config: r.load(), Environment: tt.env})
			if !errors.Is(err, engine.ErrUnknownEnvironment) {
				t.Fatalf("%s(%q) error = %v; want ErrUnknownEnvironment", tt.name, tt.env, err)
			}
			if got := exitCode(err); got != engine.CodeInvalid {
				t.Errorf("%s(%q) exit code = %d; want %d", tt.name, tt.env, got, engine.CodeInvalid)
			}
			msg := err.Error()
			if !strings.Contains(msg, "environments are: production") {
				t.Errorf("%s(%q) error = %q; want it to name the environments", tt.name, tt.env, msg)
			}
			if tt.wantMean != "" && !strings.Contains(msg, tt.wantMean) {
				t.Errorf("%s(%q) error = %q; want %q", tt.name, tt.env, msg, tt.wantMean)
			}
			if tt.wantMean == "" && strings.Contains(msg, "Did you mean") {
				t.Errorf("%s(%q) error = %q; want no suggestion", tt.name, tt.env, msg)
			}
		})
	}
	if err := engine.CheckEnvironment(r.load().Config, "production"); err != nil {
		t.Errorf("CheckEnvironment(%q) = %v; want nil", "production", err)
	}
}
