package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
)

// TestDuplicateVersionAdvice checks the advice of a run whose version
// already exists: promote the release when it was built from the same
// commit; make the version unique per commit when another commit (here a
// feature branch with the same commit count) built it.
func TestDuplicateVersionAdvice(t *testing.T) {
	tests := []struct {
		name string
		// before runs before the first run, between before the second.
		before, between func(r *repo)
		want, wantNone  []string
	}{
		{"same commit", func(r *repo) {}, func(r *repo) {},
			[]string{"from this commit", "`pipeline deploy ENV --release 1.0.1`"}, []string{"unique per commit"}},
		{"other branch", func(r *repo) {
			r.git("checkout", "-q", "-b", "feature")
			r.commit("alice@example.com", "feature work", map[string]string{"README": "feature"})
		}, func(r *repo) {
			r.git("checkout", "-q", "main")
			r.commit("alice@example.com", "main work", map[string]string{"README": "main"})
		}, []string{"1.0.2", "on branch feature", "not from this commit", "unique per commit", "${git.short_sha}"}, []string{"--release"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(t, nil)
			f := newFixture(t, r)
			c := ctx(t)
			r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": rollbackLine})
			run := func(c context.Context) error {
				_, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
				return err
			}
			tt.before(r)
			if err := run(c); err != nil {
				t.Fatalf("first run: %v", err)
			}
			tt.between(r)
			err := run(c)
			if !errors.Is(err, engine.ErrReleaseExists) || exitCode(err) != 1 {
				t.Fatalf("second Run = %v (code %d); want ErrReleaseExists, code 1", err, exitCode(err))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Run error %q does not say %q", err, w)
				}
			}
			for _, w := range tt.wantNone {
				if strings.Contains(err.Error(), w) {
					t.Errorf("Run error %q says %q; it must not", err, w)
				}
			}
		})
	}
}
