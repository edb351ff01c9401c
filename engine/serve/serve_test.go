package serve_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/serve"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

const evil = `<script>alert("x")</script>`

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// seed fills a real SQLite store: run r-1 built releases 1.0.0 and 1.1.0
// and deployed both to internal (the second carrying a commit whose
// subject is a script tag); run r-2 waits at production's go-live gate
// and beta's sign-off gate; one audit event.
func seed(t *testing.T) state.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })

	runs := []*state.Run{
		{ID: "r-1", Pipeline: "webapp", Component: ".", Commit: "aaaaaaaaaaaaaaaaaaaa", Branch: "main", Author: "alice@example.com",
			Kind: "run", Status: state.StatusSucceeded, Plan: []byte(`{"secret":"plan"}`), StartedAt: at(0), FinishedAt: at(5)},
		{ID: "r-2", Pipeline: "webapp", Component: ".", Commit: "bbbbbbbbbbbbbbbbbbbb", Branch: "main", Author: "bob@example.com",
			Kind: "run", Status: state.StatusWaiting, Reason: "waiting at gate go-live " + evil, StartedAt: at(10)},
	}
	for _, r := range runs {
		require.NoError(t, st.CreateRun(ctx, r))
	}
	require.NoError(t, st.PutNode(ctx, &state.Node{RunID: "r-2", NodeID: "build.webapp.compile", Kind: "step", Status: state.StatusSucceeded, Attempts: 1, StartedAt: at(10), FinishedAt: at(11)}))
	require.NoError(t, st.PutNode(ctx, &state.Node{RunID: "r-2", NodeID: "environment.production.gate.go-live", Kind: "gate", Status: state.StatusWaiting, StartedAt: at(12)}))

	for i, v := range []string{"1.0.0", "1.1.0"} {
		require.NoError(t, st.CreateRelease(ctx, &state.Release{
			ID: "rel-" + v, Pipeline: "webapp", Version: v, Commit: "aaaaaaaaaaaaaaaaaaaa", Branch: "main", Author: "alice@example.com",
			Digest: "sha256:" + v, RunID: "r-1", CreatedAt: at(1 + i),
			Artifacts: []state.Artifact{{Name: "binary", Path: "dist/webapp", SHA256: "abc", Size: 42}},
		}))
	}
	deps := []*state.Deployment{
		{ID: "d-1", Pipeline: "webapp", Environment: "internal", ReleaseID: "rel-1.0.0", Version: "1.0.0", RunID: "r-1",
			Kind: state.DeployKindRun, Status: state.StatusSucceeded, StartedAt: at(2), FinishedAt: at(3)},
		{ID: "d-2", Pipeline: "webapp", Environment: "internal", ReleaseID: "rel-1.1.0", Version: "1.1.0", RunID: "r-1",
			Kind: state.DeployKindRun, Status: state.StatusSucceeded, ApprovedBy: []string{"carol@example.com"},
			Commits:   []state.Commit{{SHA: "cccccccccccccccc", Author: "alice@example.com", Subject: evil}},
			StartedAt: at(4), FinishedAt: at(5)},
	}
	for _, d := range deps {
		require.NoError(t, st.CreateDeployment(ctx, d))
	}
	// Gates are recorded as ENV/GATE; a run recorded before that holds
	// the bare name.
	require.NoError(t, st.PutGate(ctx, &state.Gate{RunID: "r-2", Pipeline: "webapp", Environment: "production", Name: "production/go-live",
		Status: state.StatusWaiting, ReleaseDigest: "sha256:1.1.0", WaitingSince: at(12), ExpiresAt: at(12 + 72*60)}))
	require.NoError(t, st.PutGate(ctx, &state.Gate{RunID: "r-2", Pipeline: "webapp", Environment: "beta", Name: "sign-off",
		Status: state.StatusWaiting, ReleaseDigest: "sha256:1.1.0", WaitingSince: at(13)}))
	require.NoError(t, st.AppendAudit(ctx, &state.AuditEvent{At: at(6), Actor: "carol@example.com", Action: "approve",
		Pipeline: "webapp", Environment: "internal", RunID: "r-1", Release: "1.1.0", Detail: evil}))
	return st
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	return newServerAt(t, at(20))
}

// newServerAt serves the seeded store with the engine's and the server's
// clock at now.
func newServerAt(t *testing.T, now time.Time) *httptest.Server {
	t.Helper()
	st := seed(t)
	clock := func() time.Time { return now }
	h := serve.New(serve.Options{
		Querier:   engine.New(engine.Options{Store: st, Clock: clock}),
		Store:     "postgres://ci:hunter2@db.example.com:5432/pipeline",
		Pipelines: []serve.Pipeline{{Name: "webapp", Environments: []string{"internal", "beta", "production"}}},
		Clock:     clock,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, method, path string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

// field walks a decoded JSON document along a dotted path of keys and
// array indexes.
func field(t *testing.T, doc any, path string) any {
	t.Helper()
	cur := doc
	for _, k := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[k]
			if !ok {
				t.Fatalf("no key %q (of %q) in %v", k, path, c)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(c) {
				t.Fatalf("no index %q (of %q) in a list of %d", k, path, len(c))
			}
			cur = c[i]
		default:
			t.Fatalf("cannot take %q (of %q) from %T", k, path, cur)
		}
	}
	return cur
}

func TestAPI(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		path   string
		code   int
		fields map[string]any
	}{
		{"/api/status", 200, map[string]any{
			"store":                                                "postgres://ci:xxxxx@db.example.com:5432/pipeline",
			"generated_at":                                         "2025-03-01T12:20:00Z",
			"pipelines.0.pipeline":                                 "webapp",
			"pipelines.0.environments.0.environment":               "internal",
			"pipelines.0.environments.0.live.version":              "1.1.0",
			"pipelines.0.environments.0.rollback_target":           "1.0.0",
			"pipelines.0.environments.1.environment":               "beta",
			"pipelines.0.environments.1.live":                      nil,
			"pipelines.0.environments.1.waiting.0.gate":            "sign-off",
			"pipelines.0.environments.1.waiting.0.approve_command": "pipeline approve r-2 sign-off",
			"pipelines.0.environments.1.waiting.0.expires_at":      nil,
			"pipelines.0.environments.2.environment":               "production",
			"pipelines.0.environments.2.waiting.0.gate":            "go-live",
			"pipelines.0.environments.2.waiting.0.run_id":          "r-2",
			"pipelines.0.environments.2.waiting.0.approve_command": "pipeline approve r-2 production/go-live",
			"pipelines.0.environments.2.waiting.0.expires_at":      "2025-03-04T12:12:00Z",
		}},
		{"/api/runs", 200, map[string]any{
			"runs.0.id": "r-2", "runs.0.status": "waiting", "runs.0.started_at": "2025-03-01T12:10:00Z", "runs.0.finished_at": nil,
			"runs.1.id": "r-1", "runs.1.status": "succeeded", "runs.1.commit": "aaaaaaaaaaaaaaaaaaaa",
		}},
		{"/api/runs?limit=1", 200, map[string]any{"runs.0.id": "r-2"}},
		{"/api/runs/r-2", 200, map[string]any{
			"run.id": "r-2", "run.reason": "waiting at gate go-live " + evil,
			"nodes.0.node_id": "build.webapp.compile", "nodes.0.attempts": 1.0,
			"nodes.1.node_id": "environment.production.gate.go-live", "nodes.1.status": "waiting",
		}},
		{"/api/runs/r-404", 404, map[string]any{}},
		{"/api/releases", 200, map[string]any{
			"releases.0.version": "1.1.0", "releases.1.version": "1.0.0",
			"releases.0.artifacts.0.name": "binary", "releases.0.artifacts.0.size": 42.0, "releases.0.digest": "sha256:1.1.0",
		}},
		{"/api/history?env=internal", 200, map[string]any{
			"deployments.0.version": "1.1.0", "deployments.0.approved_by.0": "carol@example.com",
			"deployments.0.commits.0.subject": evil, "deployments.1.version": "1.0.0",
			"rollback_targets.0.environment": "internal", "rollback_targets.0.version": "1.0.0",
		}},
		{"/api/history?env=production", 200, map[string]any{"deployments": []any{}}},
		{"/api/history/at?pipeline=webapp&env=internal&at=2025-03-01T12:04:00Z", 200, map[string]any{
			"live.version": "1.0.0", "live.since": "2025-03-01T12:03:00Z", "live.until": "2025-03-01T12:05:00Z",
			"previous": nil, "added": []any{}, "removed": []any{},
		}},
		{"/api/history/at?pipeline=webapp&env=internal&at=5m%20ago", 200, map[string]any{
			"live.version": "1.1.0", "live.commit": "aaaaaaaaaaaaaaaaaaaa", "live.until": nil, "previous.version": "1.0.0",
			"added.0.subject": evil,
		}},
		{"/api/history/at?pipeline=webapp&env=internal&at=2025-03-01T12:02:00Z", 404, map[string]any{}},
		{"/api/history/at?pipeline=webapp&env=internal&at=yesterday", 400, map[string]any{}},
		{"/api/history/at?env=internal&at=now", 400, map[string]any{}},
		{"/api/audit", 200, map[string]any{
			"events.0.actor": "carol@example.com", "events.0.action": "approve", "events.0.release": "1.1.0", "events.0.seq": 1.0,
		}},
		{"/api/runs?limit=zero", 400, map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, ctype, body := get(t, srv, http.MethodGet, tt.path)
			if code != tt.code {
				t.Fatalf("GET %s = %d; want %d (body %s)", tt.path, code, tt.code, body)
			}
			if ctype != "application/json; charset=utf-8" {
				t.Errorf("GET %s Content-Type = %q; want application/json", tt.path, ctype)
			}
			var doc any
			require.NoError(t, json.Unmarshal([]byte(body), &doc), body)
			if tt.code != 200 {
				if msg, _ := field(t, doc, "error").(string); msg == "" {
					t.Errorf("GET %s: error body %s has no message", tt.path, body)
				}
			}
			for path, want := range tt.fields {
				if got := field(t, doc, path); !jsonEqual(got, want) {
					t.Errorf("GET %s: %s = %#v; want %#v", tt.path, path, got, want)
				}
			}
			for _, banned := range []string{`"Plan"`, `"plan"`, `"ID"`, "hunter2"} {
				if strings.Contains(body, banned) {
					t.Errorf("GET %s: body contains %s:\n%s", tt.path, banned, body)
				}
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestPage(t *testing.T) {
	srv := newServer(t)
	code, ctype, body := get(t, srv, http.MethodGet, "/")
	require.Equal(t, 200, code, body)
	if ctype != "text/html; charset=utf-8" {
		t.Errorf("GET / Content-Type = %q; want text/html; charset=utf-8", ctype)
	}
	for _, want := range []string{
		"postgres://ci:xxxxx@db.example.com:5432/pipeline", // names the store, redacted
		"Pipeline webapp",
		"pipeline approve r-2 production/go-live",
		"Deployments to internal",
		"carol@example.com",
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		"Recent runs", "Audit trail",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET / does not contain %q", want)
		}
	}
	for _, banned := range []string{"<script", "hunter2", "http://", "https://"} {
		if strings.Contains(body, banned) {
			t.Errorf("GET / contains %q", banned)
		}
	}
}

// TestExpiredGate reads the store after production's go-live gate passed
// its 72h timeout: /api/status and the page show it as expired, with no
// approve command, and no longer as waiting; beta's gate still waits.
func TestExpiredGate(t *testing.T) {
	srv := newServerAt(t, at(12+72*60+1))
	code, _, body := get(t, srv, http.MethodGet, "/api/status")
	require.Equal(t, 200, code, body)
	var doc any
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	for path, want := range map[string]any{
		"pipelines.0.environments.1.environment":               "beta",
		"pipelines.0.environments.1.waiting.0.gate":            "sign-off",
		"pipelines.0.environments.2.environment":               "production",
		"pipelines.0.environments.2.expired.0.gate":            "go-live",
		"pipelines.0.environments.2.expired.0.status":          "expired",
		"pipelines.0.environments.2.expired.0.approve_command": "",
		"pipelines.0.environments.2.expired.0.expires_at":      "2025-03-04T12:12:00Z",
	} {
		if got := field(t, doc, path); got != want {
			t.Errorf("/api/status %s = %v; want %v", path, got, want)
		}
	}
	if got := field(t, doc, "pipelines.0.environments.2.waiting"); len(got.([]any)) != 0 {
		t.Errorf("/api/status production waiting = %v; want none", got)
	}
	code, _, body = get(t, srv, http.MethodGet, "/")
	require.Equal(t, 200, code, body)
	if want := `go-live (run r-2): <span class="expired">expired</span> at 2025-03-04 12:12:00 UTC; start a new run`; !strings.Contains(body, want) {
		t.Errorf("GET / does not contain %q", want)
	}
	if strings.Contains(body, "pipeline approve r-2 production/go-live") {
		t.Errorf("GET / offers to approve the expired gate")
	}
}

func TestMethodsAndPaths(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		method, path string
		code         int
	}{
		{http.MethodGet, "/healthz", 200},
		{http.MethodHead, "/api/status", 200},
		{http.MethodPost, "/api/runs", 405},
		{http.MethodDelete, "/api/runs/r-1", 405},
		{http.MethodPut, "/", 405},
		{http.MethodGet, "/nope", 404},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			code, ctype, body := get(t, srv, tt.method, tt.path)
			if code != tt.code {
				t.Errorf("%s %s = %d; want %d", tt.method, tt.path, code, tt.code)
			}
			if tt.path == "/healthz" && (ctype != "text/plain; charset=utf-8" || body != "ok\n") {
				t.Errorf("GET /healthz = %q (%s); want \"ok\\n\" as text/plain", body, ctype)
			}
		})
	}
}

func TestHealthzStoreDown(t *testing.T) {
	st := seed(t)
	h := serve.New(serve.Options{Querier: engine.New(engine.Options{Store: st}), Store: "sqlite:x"})
	require.NoError(t, st.Close())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /healthz on a closed store = %d; want 503", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "sqlite:x") {
		t.Errorf("GET / on a closed store = %d %q; want 500 naming the store", rec.Code, rec.Body.String())
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sqlite:/repo/.pipeline/state.db", "sqlite:/repo/.pipeline/state.db"},
		{"/repo/.pipeline/state.db", "/repo/.pipeline/state.db"},
		{"postgres://u:secret@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgres://u@h/db?password=secret&sslmode=disable", "postgres://u@h/db?password=xxxxx&sslmode=disable"},
		{"postgres://u:p%zz@h/db", "(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := serve.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	st := seed(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.Serve(ctx, ln, serve.New(serve.Options{Querier: engine.New(engine.Options{Store: st})}), nil)
	}()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel = %v; want nil", err)
		}
	case <-time.After(serve.ShutdownTimeout + time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("the server still answers after Serve returned")
	}
}
