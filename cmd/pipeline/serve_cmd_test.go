package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

const servePipeline = `pipeline "shop" {
  image = "alpine:3.20"
}

environment "staging" {
  step "rollout" { run = "echo staging" }
}

environment "production" {
  requires = [environment.staging]
  gate "go-live" {
    approvers = ["author"]
  }
  step "rollout" { run = "echo production" }
}
`

// seedServeStore records one successful deployment of shop 2.0.0 to
// staging in a fresh SQLite store and returns its path.
func seedServeStore(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer st.Close()
	now := time.Now().UTC()
	require.NoError(t, st.CreateRun(ctx, &state.Run{ID: "r-serve", Pipeline: "shop", Component: ".", Kind: "run", Status: state.StatusSucceeded, StartedAt: now, FinishedAt: now}))
	require.NoError(t, st.CreateRelease(ctx, &state.Release{ID: "rel-2", Pipeline: "shop", Version: "2.0.0", Digest: "sha256:2", RunID: "r-serve", CreatedAt: now}))
	require.NoError(t, st.CreateDeployment(ctx, &state.Deployment{ID: "d-1", Pipeline: "shop", Environment: "staging", ReleaseID: "rel-2", Version: "2.0.0",
		RunID: "r-serve", Kind: state.DeployKindRun, Status: state.StatusSucceeded, StartedAt: now, FinishedAt: now}))
	return path
}

func TestServeCommand(t *testing.T) {
	dir := writeFiles(t, map[string]string{"shop.pipeline.hcl": servePipeline})
	dbPath := seedServeStore(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	var stderr strings.Builder
	root := newRootCommand(outW, &stderr)
	root.SetArgs(normalizeArgs(root, []string{"serve", "-C", dir, "--state", "sqlite:" + dbPath, "--listen", "127.0.0.1:0"}))
	done := make(chan error, 1)
	go func() {
		done <- root.ExecuteContext(ctx)
		outW.Close()
	}()

	line, err := bufio.NewReader(outR).ReadString('\n')
	require.NoError(t, err, "serve printed nothing; stderr: %s", stderr.String())
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	_, rest, ok := strings.Cut(line, "http://")
	require.True(t, ok, "serve's first line %q names no URL", line)
	base := "http://" + strings.Fields(rest)[0]
	if !strings.Contains(line, dbPath) {
		t.Errorf("serve's first line %q does not name the store %s", line, dbPath)
	}

	resp, err := http.Get(base + "healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("GET /healthz = %d %q; want 200 \"ok\\n\"", resp.StatusCode, body)
	}

	// The config's environments come in its order, even production with
	// no deployment yet.
	resp, err = http.Get(base + "api/status")
	require.NoError(t, err)
	var status struct {
		Pipelines []struct {
			Pipeline     string `json:"pipeline"`
			Environments []struct {
				Environment string `json:"environment"`
				Live        *struct {
					Version string `json:"version"`
				} `json:"live"`
			} `json:"environments"`
		} `json:"pipelines"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&status))
	resp.Body.Close()
	require.Len(t, status.Pipelines, 1)
	envs := status.Pipelines[0].Environments
	require.Len(t, envs, 2)
	if envs[0].Environment != "staging" || envs[0].Live == nil || envs[0].Live.Version != "2.0.0" || envs[1].Environment != "production" || envs[1].Live != nil {
		t.Errorf("GET /api/status environments = %+v; want staging live 2.0.0, then production with nothing live", envs)
	}

	// The console's overview grid: the config's environments as columns
	// in its order.
	resp, err = http.Get(base)
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	page := string(body)
	require.Contains(t, page, `<table class="grid">`)
	iStaging, iProd := strings.Index(page, `<th scope="col">staging</th>`), strings.Index(page, `<th scope="col">production</th>`)
	require.True(t, iStaging > 0 && iStaging < iProd, "the grid's columns are not staging, production:\n%s", page)
	require.Contains(t, page, `<a class="version" href="/releases/shop/2.0.0">2.0.0</a>`)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after its context was cancelled = %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop when its context was cancelled")
	}
	if stderr.Len() != 0 {
		t.Errorf("serve on loopback wrote to stderr: %s", stderr.String())
	}
}

func TestServeCommandUsage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"serve", "--help"}, 0, "loopback"},
		{[]string{"serve", "--state", "memory:", "--listen", "not-an-address"}, 2, "--listen"},
		{[]string{"serve", "--state", "memory:", "--listen", "nonsense"}, 2, "HOST:PORT"},
		{[]string{"serve", "extra"}, 2, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("pipeline %v exit = %d; want %d (stderr %s)", tt.args, code, tt.code, stderr)
			}
			if !strings.Contains(stdout+stderr, tt.contains) {
				t.Errorf("pipeline %v output does not contain %q:\n%s%s", tt.args, tt.contains, stdout, stderr)
			}
		})
	}
}
