package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
)

const rollbackLine = `
pipeline "svc" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}

build "app" {
  step "compile" { run = "mkdir -p dist && echo ${git.short_sha} > dist/app" }
}

package "app" {
  artifact "bin" { path = "dist/app" }
}

environment "production" {
  step "rollout" { run = "test ${release.version} != 1.0.4 && echo ${release.version} >> deploy.log" }
}
`

// TestRollbackTargetAfterRollback walks a real delivery history: a
// release that was rolled away from (or replaced by a promotion of an
// older release) is never offered as the rollback target again, and a
// failed deployment never is.
func TestRollbackTargetAfterRollback(t *testing.T) {
	r := newRepo(t, nil)
	f := newFixture(t, r)
	c := ctx(t)
	res := func() *engine.DeployRequest {
		return &engine.DeployRequest{Config: r.load(), Environment: "production"}
	}
	steps := []struct {
		name       string
		act        func(context.Context) error
		wantLive   string
		wantTarget string
	}{
		{"run 1.0.1", f.commitAndRun(r, 1), "1.0.1", ""},
		{"run 1.0.2", f.commitAndRun(r, 2), "1.0.2", "1.0.1"},
		{"run 1.0.3", f.commitAndRun(r, 3), "1.0.3", "1.0.2"},
		{"run 1.0.4 fails", f.commitAndRun(r, 4), "1.0.3", "1.0.3"},
		{"rollback to 1.0.3", func(c context.Context) error {
			_, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: *res()})
			return err
		}, "1.0.3", "1.0.2"},
		{"rollback to 1.0.2", func(c context.Context) error {
			_, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: *res()})
			return err
		}, "1.0.2", "1.0.1"},
		{"rollback to 1.0.1", func(c context.Context) error {
			_, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: *res()})
			return err
		}, "1.0.1", ""},
		{"rollback --to 1.0.3", func(c context.Context) error {
			_, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: *res(), To: "1.0.3"})
			return err
		}, "1.0.3", "1.0.1"},
		{"deploy --release 1.0.1", func(c context.Context) error {
			req := res()
			req.Version = "1.0.1"
			_, err := f.eng.Deploy(c, *req)
			return err
		}, "1.0.1", ""},
	}
	for _, st := range steps {
		err := st.act(c)
		if (err != nil) != (st.name == "run 1.0.4 fails") {
			t.Fatalf("%s: error %v", st.name, err)
		}
		rows, err := f.eng.Status(c, "svc", []string{"production"})
		if err != nil || len(rows) != 1 || rows[0].Live == nil {
			t.Fatalf("%s: Status = %+v, %v; want a live production row", st.name, rows, err)
		}
		if got := rows[0].Live.Version; got != st.wantLive {
			t.Errorf("after %s: live = %s; want %s", st.name, got, st.wantLive)
		}
		if got := rows[0].RollbackTarget; got != st.wantTarget {
			t.Errorf("after %s: rollback target = %q; want %q", st.name, got, st.wantTarget)
		}
	}
	_, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: *res()})
	if !errors.Is(err, engine.ErrNoRollbackTarget) {
		t.Errorf("Rollback with nothing left to roll back to = %v; want ErrNoRollbackTarget", err)
	}
}

// commitAndRun returns an action that commits change n and runs the
// pipeline (version 1.0.n).
func (f *fixture) commitAndRun(r *repo, n int) func(context.Context) error {
	return func(c context.Context) error {
		files := map[string]string{"README": string(rune('0' + n))}
		if n == 1 {
			files["pipeline.hcl"] = rollbackLine
		}
		r.commit("alice@example.com", "change", files)
		_, err := f.eng.Run(c, engine.RunRequest{Config: r.load()})
		return err
	}
}
