package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/console"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/serve"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"

	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

const evil = `<script>alert("x")</script>`

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// storedPlan is the stored form of a small plan: build, release, deploy
// to internal, then production behind a go-live gate.
func storedPlan(t testing.TB) []byte {
	t.Helper()
	nodes := []plan.JSONNode{
		{ID: "build.webapp", Kind: plan.KindStage, Wave: 1},
		{ID: "build.webapp.compile", Kind: plan.KindStep, Wave: 1, Needs: []string{"build.webapp"}},
		{ID: "build.webapp.test", Kind: plan.KindStep, Wave: 1, Needs: []string{"build.webapp"}},
		{ID: "release", Kind: plan.KindRelease, Wave: 2, Needs: []string{"build.webapp.compile", "build.webapp.test"}},
		{ID: "environment.internal", Kind: plan.KindDeploy, Wave: 3, Needs: []string{"release"}},
		{ID: "environment.production.gate.go-live", Kind: plan.KindGate, Wave: 4, Needs: []string{"environment.internal"}},
		{ID: "environment.production", Kind: plan.KindDeploy, Wave: 5, Needs: []string{"environment.production.gate.go-live"}},
	}
	b, err := json.Marshal(plan.Stored{Schema: plan.StoredSchema, Plan: &plan.JSON{Pipeline: "webapp",
		Waves: [][]string{{"build.webapp", "build.webapp.compile", "build.webapp.test"}, {"release"}, {"environment.internal"},
			{"environment.production.gate.go-live"}, {"environment.production"}}, Nodes: nodes}})
	require.NoError(t, err)
	return b
}

// seed fills a real SQLite store: webapp has 1.1.0 live in internal and a
// gate waiting for production in run r-2 (running, with logs, one of them
// HTML); billing has 2.0.0 live in internal and a failed production deploy.
func seed(t testing.TB) state.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	for _, r := range []*state.Run{
		{ID: "r-1", Pipeline: "webapp", Component: ".", Commit: "aaaaaaaaaaaaaaaaaaaa", Branch: "main", Author: "alice@example.com",
			Kind: "run", Status: state.StatusSucceeded, StartedAt: at(0), FinishedAt: at(5)},
		{ID: "r-2", Pipeline: "webapp", Component: ".", Commit: "bbbbbbbbbbbbbbbbbbbb", Branch: "main", Author: "bob@example.com",
			Kind: "run", Status: state.StatusRunning, Plan: storedPlan(t), StartedAt: at(10)},
		{ID: "r-3", Pipeline: "billing", Component: "billing", Commit: "cccccccccccccccccccc", Branch: "main", Author: "carol@example.com",
			Kind: "run", Status: state.StatusFailed, StartedAt: at(1), FinishedAt: at(9)},
	} {
		require.NoError(t, st.CreateRun(ctx, r))
	}
	for _, n := range []*state.Node{
		{RunID: "r-2", NodeID: "build.webapp.compile", Kind: "step", Status: state.StatusSucceeded, Attempts: 2, StartedAt: at(10), FinishedAt: at(11)},
		{RunID: "r-2", NodeID: "build.webapp.test", Kind: "step", Status: state.StatusRunning, Attempts: 1, StartedAt: at(11)},
	} {
		require.NoError(t, st.PutNode(ctx, n))
	}
	require.NoError(t, st.AppendLogs(ctx, []state.LogLine{
		{RunID: "r-2", NodeID: "build.webapp.compile", Attempt: 1, Seq: 0, Stream: "stdout", Time: at(10), Text: "first try"},
		{RunID: "r-2", NodeID: "build.webapp.compile", Attempt: 2, Seq: 0, Stream: "stdout", Time: at(11), Text: "compiling " + evil},
	}))
	for _, rel := range []*state.Release{
		{ID: "rel-w", Pipeline: "webapp", Version: "1.1.0", Commit: "aaaaaaaaaaaaaaaaaaaa", Branch: "main", Author: "alice@example.com",
			ConfigDigest: "sha256:cfg0123456789", Digest: "sha256:w", RunID: "r-1", CreatedAt: at(1),
			Artifacts: []state.Artifact{{Name: "binary", Path: "dist/" + evil, SHA256: "0123456789abcdef0123", Size: 42}},
			Images:    []state.Image{{Name: "web", ID: "sha256:feedfacefeedface", Tag: "pipeline/webapp-web:1.1.0"}}},
		{ID: "rel-b", Pipeline: "billing", Version: "2.0.0", Commit: "cccccccccccccccccccc", Digest: "sha256:b", RunID: "r-3", CreatedAt: at(2)},
	} {
		require.NoError(t, st.CreateRelease(ctx, rel))
	}
	for _, d := range []*state.Deployment{
		{ID: "d-1", Pipeline: "webapp", Environment: "internal", ReleaseID: "rel-w", Version: "1.1.0", RunID: "r-1",
			Kind: state.DeployKindRun, Status: state.StatusSucceeded, StartedAt: at(3), FinishedAt: at(4)},
		{ID: "d-2", Pipeline: "billing", Environment: "internal", ReleaseID: "rel-b", Version: "2.0.0", RunID: "r-3",
			Kind: state.DeployKindRun, Status: state.StatusSucceeded, StartedAt: at(3), FinishedAt: at(5)},
		{ID: "d-3", Pipeline: "billing", Environment: "production", ReleaseID: "rel-b", Version: "2.0.0", RunID: "r-3",
			Kind: state.DeployKindRun, Status: state.StatusFailed, Reason: "health check failed", StartedAt: at(6), FinishedAt: at(9)},
	} {
		require.NoError(t, st.CreateDeployment(ctx, d))
	}
	require.NoError(t, st.PutGate(ctx, &state.Gate{RunID: "r-2", Pipeline: "webapp", Environment: "production", Name: "production/go-live",
		Status: state.StatusWaiting, ReleaseDigest: "sha256:w", WaitingSince: at(12)}))
	return st
}

func newServer(t testing.TB, st state.Store) *httptest.Server {
	t.Helper()
	now := at(20)
	clock := func() time.Time { return now }
	h := console.New(console.Options{
		Querier:   engine.New(engine.Options{Store: st, Clock: clock}),
		Store:     "postgres://ci:hunter2@db.example.com/pipeline",
		Pipelines: []serve.Pipeline{{Name: "webapp", Environments: []string{"internal", "staging", "production"}}},
		Clock:     clock,
		Poll:      20 * time.Millisecond,
		StreamFor: 5 * time.Second,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t testing.TB, srv *httptest.Server, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestOverviewGrid(t *testing.T) {
	srv := newServer(t, seed(t))
	code, body := get(t, srv, "GET", "/")
	require.Equal(t, 200, code, body)
	// Columns in promotion order: configured ones, then billing's.
	iInternal := strings.Index(body, `<th scope="col">internal</th>`)
	iStaging := strings.Index(body, `<th scope="col">staging</th>`)
	iProd := strings.Index(body, `<th scope="col">production</th>`)
	require.True(t, iInternal > 0 && iInternal < iStaging && iStaging < iProd, "columns out of order:\n%s", body)
	require.Contains(t, body, `<a href="/?component=webapp">webapp</a>`)
	require.Contains(t, body, `<a href="/?component=billing">billing</a>`)
	// webapp: 1.1.0 live in internal 16 minutes ago; production waits.
	require.Contains(t, body, `<td class="cell live" data-env="internal"><a class="envlink" href="/environments/webapp/internal" aria-label="webapp in internal: history">history</a><a class="version" href="/releases/webapp/1.1.0">1.1.0</a> <span class="ago"><time datetime="2025-03-01T12:20:00Z">16m ago</time>`)
	require.Contains(t, body, `<td class="cell waiting" data-env="production">`)
	require.Contains(t, body, `href="/runs/r-2#gate-go-live">gate go-live waits</a>`)
	// billing: production's latest deployment failed.
	require.Contains(t, body, `<td class="cell failed" data-env="production">`)
	require.Contains(t, body, `latest 2.0.0: failed`)
	require.NotContains(t, body, "hunter2")
	require.Contains(t, body, "Read-only")
	require.Contains(t, body, `<a href="/runs/r-2">`)

	code, body = get(t, srv, "GET", "/?component=bill")
	require.Equal(t, 200, code)
	require.Contains(t, body, `<a href="/?component=billing">billing</a>`)
	require.NotContains(t, body, `<a href="/?component=webapp">webapp</a>`)
	require.Contains(t, body, "1 of 2 components")

	code, body = get(t, srv, "GET", "/?component="+evil)
	require.Equal(t, 200, code)
	require.NotContains(t, body, evil)
	require.Contains(t, body, "No component matches")
}

func TestRunPage(t *testing.T) {
	srv := newServer(t, seed(t))
	code, body := get(t, srv, "GET", "/runs/r-2")
	require.Equal(t, 200, code, body)
	require.Contains(t, body, `<svg class="dag"`)
	// Stage nodes are folded away; the rest are drawn with their status.
	require.NotContains(t, body, `data-node="build.webapp"`)
	require.Contains(t, body, `<g class="node step succeeded" id="svg-build.webapp.compile"`)
	require.Contains(t, body, `<g class="node step running" id="svg-build.webapp.test"`)
	require.Contains(t, body, `<g class="node gate pending" id="svg-environment.production.gate.go-live"`)
	require.Contains(t, body, `<g class="node deploy pending" id="svg-environment.production"`)
	// Five waves of work left to right: the last deploy is in column 5.
	require.Contains(t, body, fmt.Sprintf(`<rect x="%d" y="12"`, 12+4*(190+60)))
	// Edges: compile and test into release (through no stage node), then
	// release -> internal -> go-live -> production.
	require.Equal(t, 5, strings.Count(body, "<path d="), body)
	// Logs: attempt markers, HTML escaped.
	require.Contains(t, body, `<section class="log" id="log-build.webapp.compile" data-node="build.webapp.compile" data-attempt="1">`)
	require.Contains(t, body, `<section class="log" id="log-build.webapp.compile-2" data-node="build.webapp.compile" data-attempt="2">`)
	require.Contains(t, body, `attempt 2</span>`)
	require.NotContains(t, body, evil)
	require.Contains(t, body, "compiling &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	require.Contains(t, body, `data-from="2"`)
	require.Contains(t, body, `<script src="/assets/live.js" defer></script>`)
	require.Contains(t, body, "10m0s so far")

	code, _ = get(t, srv, "GET", "/runs/nope")
	require.Equal(t, 404, code)
	code, _ = get(t, srv, "POST", "/runs/r-2")
	require.Equal(t, 405, code)
}

func TestRunEventsStreamNewLines(t *testing.T) {
	st := seed(t)
	srv := newServer(t, st)
	resp, err := srv.Client().Get(srv.URL + "/runs/r-2/events?from=2")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	rd := bufio.NewReader(resp.Body)
	next := func() (string, string) {
		var ev, data string
		for {
			line, err := rd.ReadString('\n')
			require.NoError(t, err)
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "" && ev != "":
				return ev, data
			case strings.HasPrefix(line, "event: "):
				ev = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = line[6:]
			}
		}
	}
	// The first poll sends every node and the run status.
	seen := map[string]string{}
	for range 3 {
		ev, data := next()
		seen[ev+data] = ev
	}
	require.Contains(t, seen, `node{"node_id":"build.webapp.test","status":"running","attempts":1}`)
	require.Contains(t, seen, `run{"status":"running"}`)

	ctx := context.Background()
	require.NoError(t, st.AppendLogs(ctx, []state.LogLine{{RunID: "r-2", NodeID: "build.webapp.test", Attempt: 1, Seq: 0,
		Stream: "stdout", Time: at(12), Text: "ok " + evil}}))
	ev, data := next()
	require.Equal(t, "line", ev)
	var l map[string]any
	require.NoError(t, json.Unmarshal([]byte(data), &l))
	require.Equal(t, "ok "+evil, l["text"]) // JSON; live.js inserts it as text

	require.NoError(t, st.PutNode(ctx, &state.Node{RunID: "r-2", NodeID: "build.webapp.test", Kind: "step", Status: state.StatusSucceeded, Attempts: 1, StartedAt: at(11), FinishedAt: at(12)}))
	ev, data = next()
	require.Equal(t, "node", ev)
	require.Contains(t, data, `"status":"succeeded"`)

	run, err := st.GetRun(ctx, "r-2")
	require.NoError(t, err)
	run.Status, run.FinishedAt = state.StatusSucceeded, at(13)
	require.NoError(t, st.UpdateRun(ctx, run))
	ev, _ = next()
	require.Equal(t, "run", ev)
	ev, _ = next()
	require.Equal(t, "end", ev)
}

func TestAPIAndAssetsStillServed(t *testing.T) {
	srv := newServer(t, seed(t))
	code, body := get(t, srv, "GET", "/api/status?pipeline=webapp")
	require.Equal(t, 200, code)
	require.Contains(t, body, `"pipeline": "webapp"`)
	code, body = get(t, srv, "GET", "/healthz")
	require.Equal(t, 200, code)
	require.Equal(t, "ok\n", body)
	code, body = get(t, srv, "GET", "/assets/console.css")
	require.Equal(t, 200, code)
	require.Contains(t, body, "prefers-color-scheme: dark")
	require.Contains(t, body, "prefers-reduced-motion")
	code, body = get(t, srv, "GET", "/assets/live.js")
	require.Equal(t, 200, code)
	require.Contains(t, body, "textContent")
	require.NotContains(t, body, "innerHTML")
	code, _ = get(t, srv, "POST", "/")
	require.Equal(t, 405, code)
}

func TestReleasePage(t *testing.T) {
	srv := newServer(t, seed(t))
	code, body := get(t, srv, "GET", "/releases/webapp/1.1.0")
	require.Equal(t, 200, code, body)
	require.Contains(t, body, `<dt>Live in</dt><dd><strong>internal</strong></dd>`)
	require.Contains(t, body, `<code>aaaaaaaaaaaaaaaaaaaa</code> on <strong>main</strong>`)
	require.Contains(t, body, "alice@example.com")
	require.Contains(t, body, "<code>sha256:cfg0123456789</code>")
	require.Contains(t, body, `<td class="nowrap">42 bytes</td><td><code title="0123456789abcdef0123">0123456789ab</code>`)
	require.Contains(t, body, "<code>pipeline/webapp-web:1.1.0</code>")
	require.Contains(t, body, `<a href="/runs/r-1">run r-1</a>`)
	require.Contains(t, body, `<td>internal</td><td>run</td><td><span class="badge succeeded">succeeded</span>`)
	require.NotContains(t, body, evil)

	code, body = get(t, srv, "GET", "/releases/webapp/9.9.9")
	require.Equal(t, 404, code)
	require.Contains(t, body, "has no release")
}

func TestEnvironmentPagePagesByCursor(t *testing.T) {
	st := seed(t)
	seedMany(t, st, 1, []string{"production"}, 120)
	ctx := context.Background()
	require.NoError(t, st.AppendAudit(ctx, &state.AuditEvent{At: at(6), Actor: "carol@example.com", Action: "approve",
		Pipeline: "svc-000", Environment: "production", RunID: "run-svc-000", Release: "1.0.2", Detail: evil}))
	require.NoError(t, st.AppendAudit(ctx, &state.AuditEvent{At: at(7), Actor: "dave@example.com", Action: "rollback",
		Pipeline: "svc-000", Environment: "staging", RunID: "run-svc-000", Release: "1.0.1"}))
	srv := newServer(t, st)
	seen := map[string]bool{}
	path := "/environments/svc-000/production"
	pages := 0
	for path != "" {
		code, body := get(t, srv, "GET", path)
		require.Equal(t, 200, code, body)
		pages++
		n := strings.Count(body, `<tr><td><a href="/releases/svc-000/`)
		require.True(t, n == 50 || (n == 20 && pages == 3), "page %d has %d deployments", pages, n)
		require.Contains(t, body, "carol@example.com")
		require.NotContains(t, body, "dave@example.com") // another environment's event
		require.NotContains(t, body, evil)
		seen[path] = true
		path = ""
		if i := strings.Index(body, `<a rel="next" href="`); i >= 0 {
			rest := body[i+len(`<a rel="next" href="`):]
			path = strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&amp;", "&")
			require.False(t, seen[path], "the cursor goes back to %s", path)
		}
	}
	require.Equal(t, 3, pages)

	code, _ := get(t, srv, "GET", "/environments/svc-000/production?after=nope")
	require.Equal(t, 400, code)
}

func TestRunEventsResumeFromLastEventID(t *testing.T) {
	srv := newServer(t, seed(t))
	req, err := http.NewRequest("GET", srv.URL+"/runs/r-2/events?from=0", nil)
	require.NoError(t, err)
	req.Header.Set("Last-Event-ID", "1")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	var lines []string
	for len(lines) < 1 {
		l, err := rd.ReadString('\n')
		require.NoError(t, err)
		if strings.HasPrefix(l, "event: line") {
			d, err := rd.ReadString('\n')
			require.NoError(t, err)
			lines = append(lines, d)
		}
	}
	// Only the second line: the first was sent before the reconnect.
	require.Contains(t, lines[0], "compiling")

	code, _ := get(t, srv, "GET", "/runs/r-2/events?from=x")
	require.Equal(t, 400, code)
	code, _ = get(t, srv, "GET", "/runs/nope/events")
	require.Equal(t, 404, code)
}

func TestAPILogs(t *testing.T) {
	srv := newServer(t, seed(t))
	code, body := get(t, srv, "GET", "/api/runs/r-2/logs?step=compile")
	require.Equal(t, 200, code, body)
	var doc struct {
		RunID string `json:"run_id"`
		Lines []struct {
			Attempt int    `json:"attempt"`
			Text    string `json:"text"`
		} `json:"lines"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	require.Equal(t, "r-2", doc.RunID)
	require.Len(t, doc.Lines, 2)
	require.Equal(t, 2, doc.Lines[1].Attempt)
	require.Equal(t, "compiling "+evil, doc.Lines[1].Text)

	code, body = get(t, srv, "GET", "/api/runs/nope/logs")
	require.Equal(t, 404, code, body)
	require.Contains(t, body, `"error"`)
	code, _ = get(t, srv, "GET", "/api/runs/r-2/logs?step=no-such-step")
	require.Equal(t, 404, code)
}

func TestRunPageLogSearch(t *testing.T) {
	srv := newServer(t, seed(t))
	code, body := get(t, srv, "GET", "/runs/r-2?q=COMPILING")
	require.Equal(t, 200, code, body)
	require.Contains(t, body, "compiling &lt;script&gt;")
	require.NotContains(t, body, "first try")
	require.Contains(t, body, "1 of 2 lines contain “COMPILING”")
	require.NotContains(t, body, "live.js") // a search is a snapshot

	code, body = get(t, srv, "GET", "/runs/r-2?q="+url.QueryEscape(evil))
	require.Equal(t, 200, code)
	require.NotContains(t, body, evil)
	require.Contains(t, body, "1 of 2 lines contain") // the line with the script tag, escaped
}
