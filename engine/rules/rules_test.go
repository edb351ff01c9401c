package rules

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pipeline-cd/pipeline/dsl"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func groups(name string) ([]string, error) {
	switch name {
	case "release-managers":
		return []string{"carol@example.com", "Dave@Example.com"}, nil
	}
	return nil, fmt.Errorf("group %q is not defined", name)
}

func TestCheckApprover(t *testing.T) {
	gate := Gate{Environment: "production", Name: "go-live", Approvers: []string{"author", "group:release-managers", "erin"}}
	strict := gate
	strict.PreventSelfApproval = true
	tests := []struct {
		name    string
		gate    Gate
		who     string
		author  string
		wantErr error
	}{
		{"named approver", gate, "erin", "alice@example.com", nil},
		{"group member, case-insensitive", gate, "dave@example.com", "alice@example.com", nil},
		{"author allowed", gate, "alice@example.com", "alice@example.com", nil},
		{"stranger refused", gate, "mallory@example.com", "alice@example.com", ErrNotApprover},
		{"self approval refused", strict, "alice@example.com", "alice@example.com", ErrSelfApproval},
		{"self approval refused even as group member", strict, "carol@example.com", "carol@example.com", ErrSelfApproval},
		{"other approver with prevent_self_approval", strict, "carol@example.com", "alice@example.com", nil},
		{"empty identity", gate, " ", "alice@example.com", ErrNoIdentity},
		{"no approvers: anyone", Gate{Name: "g"}, "anyone", "alice@example.com", nil},
		{"unknown group matches nobody", Gate{Name: "g", Approvers: []string{"group:ghosts"}}, "carol@example.com", "", ErrNotApprover},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckApprover(tt.gate, tt.who, tt.author, groups)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("CheckApprover(%q, author %q) = %v; want %v", tt.who, tt.author, err, tt.wantErr)
			}
		})
	}
}

func TestCheckBranch(t *testing.T) {
	tests := []struct {
		branches []string
		branch   string
		want     error
	}{
		{nil, "feature/x", nil},
		{[]string{"main"}, "main", nil},
		{[]string{"main"}, "feature/x", ErrBranchNotAllowed},
		{[]string{"main", "release/*"}, "release/1.2", nil},
		{[]string{"release/*"}, "release/1.2/hotfix", ErrBranchNotAllowed},
		{[]string{"main"}, "", ErrBranchNotAllowed},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.branches, tt.branch), func(t *testing.T) {
			err := CheckBranch(Env{Name: "production", Branches: tt.branches}, tt.branch)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("CheckBranch(%v, %q) = %v; want %v", tt.branches, tt.branch, err, tt.want)
			}
		})
	}
}

func TestCheckRequires(t *testing.T) {
	done := map[string]bool{"internal": true}
	tests := []struct {
		requires []string
		want     error
	}{
		{nil, nil},
		{[]string{"internal"}, nil},
		{[]string{"internal", "beta"}, ErrRequiresNotMet},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.requires), func(t *testing.T) {
			err := CheckRequires(Env{Name: "production", Requires: tt.requires}, "1.0.3", func(e string) bool { return done[e] })
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("CheckRequires(%v) = %v; want %v", tt.requires, err, tt.want)
			}
		})
	}
}

func envConfig(gates []*dsl.Gate, branches, requires []string) *dsl.Config {
	return &dsl.Config{Stages: []*dsl.Stage{
		{Kind: dsl.KindEnvironment, Name: "beta"},
		{Kind: dsl.KindEnvironment, Name: "production", Gates: gates, Branches: branches, BranchesSet: branches != nil, Requires: requires},
	}}
}

func TestCompareAndApply(t *testing.T) {
	goLive := &dsl.Gate{Name: "go-live", Approvers: []string{"group:release-managers"}, PreventSelfApproval: true}
	trusted := envConfig([]*dsl.Gate{goLive}, []string{"main"}, []string{"beta"})
	tests := []struct {
		name     string
		head     *dsl.Config
		wantWhat []string
	}{
		{"identical", envConfig([]*dsl.Gate{goLive}, []string{"main"}, []string{"beta"}), nil},
		{"gate removed", envConfig(nil, []string{"main"}, []string{"beta"}), []string{"gate go-live"}},
		{"branches widened, requires dropped", envConfig([]*dsl.Gate{goLive}, []string{"main", "feature/*"}, nil), []string{"branches", "requires"}},
		{"approvers widened", envConfig([]*dsl.Gate{{Name: "go-live", Approvers: []string{"author"}}}, []string{"main"}, []string{"beta"}), []string{"gate go-live"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diffs := Compare(FromConfig(trusted), FromConfig(tt.head))
			var got []string
			for _, d := range diffs {
				if d.Environment != "production" {
					t.Errorf("Compare: difference in %s; want only production: %s", d.Environment, d)
				}
				got = append(got, d.What)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantWhat) {
				t.Errorf("Compare(%s) = %v; want %v", tt.name, got, tt.wantWhat)
			}
			Apply(tt.head, trusted)
			if d := Compare(FromConfig(trusted), FromConfig(tt.head)); len(d) != 0 {
				t.Errorf("after Apply, Compare = %v; want no differences", d)
			}
		})
	}
}

func TestCompareEnvironmentOnlyInHead(t *testing.T) {
	head := envConfig(nil, nil, nil)
	head.Stages = append(head.Stages, &dsl.Stage{Kind: dsl.KindEnvironment, Name: "canary"})
	diffs := Compare(FromConfig(envConfig(nil, nil, nil)), FromConfig(head))
	if len(diffs) != 1 || diffs[0].Environment != "canary" || diffs[0].What != "environment" {
		t.Errorf("Compare with a new environment = %v; want one environment difference for canary", diffs)
	}
}
