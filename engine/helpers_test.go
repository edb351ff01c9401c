package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
	"github.com/pipeline-cd/pipeline/internal/gittest"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/local"
)

// repo is a real git repository made by a test.
type repo struct {
	t   *testing.T
	dir string
}

func newRepo(t *testing.T, files map[string]string) *repo {
	t.Helper()
	r := &repo{t: t, dir: gittest.Init(t)}
	r.write(map[string]string{".gitignore": "dist/\n.pipeline/\ndeploy.log\n"})
	r.write(files)
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	return gittest.Git(r.t, r.dir, args...)
}

func (r *repo) write(files map[string]string) {
	r.t.Helper()
	gittest.Write(r.t, r.dir, files)
}

// commit writes files and commits them as author; it returns the hash.
func (r *repo) commit(author, subject string, files map[string]string) string {
	r.t.Helper()
	return gittest.CommitAs(r.t, r.dir, author, subject, files)
}

func (r *repo) load() *loader.Result {
	r.t.Helper()
	res, diags := loader.Load(loader.Request{Dir: r.dir})
	if diags.HasErrors() {
		r.t.Fatalf("loading %s: %s", r.dir, diags.Error())
	}
	return res
}

type fixture struct {
	repo  *repo
	store state.Store
	eng   *engine.Engine
	env   map[string]string
	// db is the path of the SQLite database of a fixture on SQLite.
	db string
}

func newFixture(t *testing.T, r *repo) *fixture {
	t.Helper()
	f := &fixture{repo: r, store: memory.New(), env: map[string]string{}}
	t.Cleanup(func() { _ = f.store.Close() })
	f.eng = engine.New(engine.Options{
		Store:         f.store,
		Runners:       f.runners(),
		DefaultRunner: "local",
		ArtifactDir:   f.artifacts(),
		Logger:        hclog.NewNullLogger(),
		PollInterval:  20 * time.Millisecond,
		Getenv: func(k string) (string, bool) {
			v, ok := f.env[k]
			return v, ok
		},
	})
	return f
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var c interface{ Code() int }
	if ok := asCoder(err, &c); ok {
		return c.Code()
	}
	return -1
}

func (f *fixture) runners() map[string]runners.Runner {
	return map[string]runners.Runner{"local": local.New(local.Options{}, nil)}
}

func (f *fixture) artifacts() string { return filepath.Join(f.repo.dir, ".pipeline", "artifacts") }

func hostName(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
