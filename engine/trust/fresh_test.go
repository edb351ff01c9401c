package trust

import (
	"slices"
	"testing"

	"github.com/pipeline-cd/pipeline/dsl"
	// Registers the -update flag that go test ./... -update passes to every package.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestAsked(t *testing.T) {
	tests := []struct {
		only          []string
		until, target string
		want          bool
	}{
		{nil, "", "", false},
		{[]string{"environment"}, "", "", false},
		{[]string{"test", "prod2"}, "", "", true},
		{[]string{"environment.prod2"}, "", "", true},
		{[]string{"environment.prod"}, "", "", false},
		{nil, "prod2", "", true},
		{nil, "environment.prod2", "", true},
		{nil, "", "prod2", true},
		{nil, "", "prod", false},
	}
	for _, tt := range tests {
		if got := Asked("prod2", tt.only, tt.until, tt.target); got != tt.want {
			t.Errorf("Asked(prod2, only %q, until %q, target %q) = %v; want %v", tt.only, tt.until, tt.target, got, tt.want)
		}
	}
}

func TestWithout(t *testing.T) {
	build := &dsl.Stage{Kind: dsl.KindBuild, Name: "app"}
	staging := &dsl.Stage{Kind: dsl.KindEnvironment, Name: "staging"}
	prod2 := &dsl.Stage{Kind: dsl.KindEnvironment, Name: "prod2", Requires: []string{"staging"}}
	prod3 := &dsl.Stage{Kind: dsl.KindEnvironment, Name: "prod3", Requires: []string{"staging", "prod2"}}
	cfg := &dsl.Config{Stages: []*dsl.Stage{build, staging, prod2, prod3}}
	out := Without(cfg, []string{"prod2"})
	var names []string
	for _, s := range out.Stages {
		names = append(names, s.Address())
	}
	if want := []string{"build.app", "environment.staging", "environment.prod3"}; !slices.Equal(names, want) {
		t.Errorf("Without(prod2) stages = %q; want %q", names, want)
	}
	if got := out.Stages[2].Requires; !slices.Equal(got, []string{"staging"}) {
		t.Errorf("Without(prod2): prod3 requires %q; want [staging]", got)
	}
	if len(cfg.Stages) != 4 || !slices.Equal(prod3.Requires, []string{"staging", "prod2"}) {
		t.Errorf("Without changed its input: %d stages, prod3 requires %q", len(cfg.Stages), prod3.Requires)
	}
	if Without(cfg, nil) != cfg {
		t.Errorf("Without(nil) returned a copy; want cfg itself")
	}
}

func TestFresh(t *testing.T) {
	head := &dsl.Config{Stages: []*dsl.Stage{
		{Kind: dsl.KindBuild, Name: "app"},
		{Kind: dsl.KindEnvironment, Name: "prod"},
		{Kind: dsl.KindEnvironment, Name: "prod2"},
	}}
	trusted := &dsl.Config{Stages: []*dsl.Stage{{Kind: dsl.KindEnvironment, Name: "prod"}}}
	tests := []struct {
		name string
		r    *Result
		want []string
	}{
		{"outside git", &Result{}, nil},
		{"refused", &Result{Ref: "main", Refused: ErrNoTrustedRules}, nil},
		{"not on the trusted ref yet", &Result{Ref: "main", NotYet: true}, []string{"prod", "prod2"}},
		{"new environment", &Result{Ref: "main", Config: trusted}, []string{"prod2"}},
	}
	for _, tt := range tests {
		if got := tt.r.Fresh(head); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Fresh = %q; want %q", tt.name, got, tt.want)
		}
	}
}
