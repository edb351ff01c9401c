package engine_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
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
	r := &repo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	r.git("config", "user.email", "alice@example.com")
	r.git("config", "user.name", "Alice")
	r.write(map[string]string{".gitignore": "dist/\n.pipeline/\ndeploy.log\n"})
	r.write(files)
	return r
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *repo) write(files map[string]string) {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// commit writes files and commits them as author; it returns the hash.
func (r *repo) commit(author, subject string, files map[string]string) string {
	r.t.Helper()
	r.write(files)
	r.git("add", "-A")
	r.git("-c", "user.email="+author, "commit", "-q", "-m", subject, "--author", "A <"+author+">")
	return r.git("rev-parse", "HEAD")
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
