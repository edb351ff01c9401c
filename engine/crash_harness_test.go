package engine_test

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/local"
)

// crashStores are the stores the crash tests run against.
var crashStores = []struct {
	name string
	open func(t *testing.T) state.Store
}{
	{"memory", func(t *testing.T) state.Store { return memory.New() }},
	{"sqlite", func(t *testing.T) state.Store {
		s, err := sqlite.Open(ctx(t), filepath.Join(t.TempDir(), "state.db"), nil)
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		return s
	}},
}

// frozenStore passes everything to Store until freeze; from then on every
// write is dropped (and reported as done), as if the process had been
// killed at that moment: the store keeps what was written before.
type frozenStore struct {
	state.Store
	frozen atomic.Bool
}

func (f *frozenStore) freeze() { f.frozen.Store(true) }

func (f *frozenStore) CreateRun(ctx context.Context, r *state.Run) error {
	if f.frozen.Load() {
		return nil
	}
	return f.Store.CreateRun(ctx, r)
}

func (f *frozenStore) UpdateRun(ctx context.Context, r *state.Run) error {
	if f.frozen.Load() {
		return nil
	}
	return f.Store.UpdateRun(ctx, r)
}

func (f *frozenStore) PutNode(ctx context.Context, n *state.Node) error {
	if f.frozen.Load() {
		return nil
	}
	return f.Store.PutNode(ctx, n)
}

func (f *frozenStore) AppendLogs(ctx context.Context, lines []state.LogLine) error {
	if f.frozen.Load() {
		return nil
	}
	return f.Store.AppendLogs(ctx, lines)
}

func (f *frozenStore) CreateRelease(ctx context.Context, r *state.Release) error {
	if f.frozen.Load() {
		return nil
	}
	return f.Store.CreateRelease(ctx, r)
}

func (f *frozenStore) CreateDeployment(ctx context.Context, d *state.Deployment) error {
	if f.frozen.Load() {
		return nil
	}
	return f.Store.CreateDeployment(ctx, d)
}

func (f *frozenStore) UpdateDeployment(ctx context.Context, d *state.Deployment) error {
	if f.frozen.Load() {
		return nil
	}
	return f.Store.UpdateDeployment(ctx, d)
}

func (f *frozenStore) PutGate(ctx context.Context, g *state.Gate) error {
	if f.frozen.Load() {
		return nil
	}
	return f.Store.PutGate(ctx, g)
}

func (f *frozenStore) AppendAudit(ctx context.Context, e *state.AuditEvent) error {
	if f.frozen.Load() {
		return nil
	}
	return f.Store.AppendAudit(ctx, e)
}

func (f *frozenStore) Renew(ctx context.Context, l *state.Lock) error {
	if f.frozen.Load() {
		return nil
	}
	return f.Store.Renew(ctx, l)
}

func (f *frozenStore) Unlock(ctx context.Context, key, holder string) error {
	if f.frozen.Load() {
		return nil
	}
	return f.Store.Unlock(ctx, key, holder)
}

// crashRunner runs steps with next; in the step whose ID ends with
// suffix it waits until the step's output is in the store, then freezes
// the store: the process "dies" in the middle of that step.
type crashRunner struct {
	next   runners.Runner
	store  *frozenStore
	suffix string
}

func (c *crashRunner) Run(ctx context.Context, step *runners.Step, stdout, stderr io.Writer) (*runners.Result, error) {
	res, err := c.next.Run(ctx, step, stdout, stderr)
	if !strings.HasSuffix(step.ID, c.suffix) {
		return res, err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if lines, _ := c.store.Logs(ctx, step.RunID, step.ID); len(lines) > 0 {
			break
		}
	}
	c.store.freeze()
	return res, err
}

// deadPID returns the id of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// crashEngine is an engine whose process is dead (its PID is gone) and
// whose writes stop in the middle of the step ending with suffix.
func crashEngine(t *testing.T, r *repo, store state.Store, suffix string) *engine.Engine {
	t.Helper()
	fs := &frozenStore{Store: store}
	return engine.New(engine.Options{
		Store:         fs,
		Runners:       map[string]runners.Runner{"local": &crashRunner{next: local.New(local.Options{}, nil), store: fs, suffix: suffix}},
		DefaultRunner: "local",
		ArtifactDir:   filepath.Join(r.dir, ".pipeline", "artifacts"),
		Logger:        hclog.NewNullLogger(),
		PollInterval:  20 * time.Millisecond,
		Host:          hostName(t),
		PID:           deadPID(t),
		Getenv:        func(string) (string, bool) { return "", false },
	})
}

// liveEngine is an engine of this (live) process over store.
func liveEngine(t *testing.T, r *repo, store state.Store) *engine.Engine {
	t.Helper()
	return engine.New(engine.Options{
		Store:         store,
		Runners:       map[string]runners.Runner{"local": local.New(local.Options{}, nil)},
		DefaultRunner: "local",
		ArtifactDir:   filepath.Join(r.dir, ".pipeline", "artifacts"),
		Logger:        hclog.NewNullLogger(),
		PollInterval:  20 * time.Millisecond,
		Getenv:        func(string) (string, bool) { return "", false },
	})
}
