package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/serve"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

var jsonT0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func jsonAt(min int) time.Time { return jsonT0.Add(time.Duration(min) * time.Minute) }

// planBlob is recorded as a run's plan; no --json output may show it.
const planBlob = `{"nodes":["internal-plan-marker"]}`

// seedTwoPipelines records, in one real SQLite store, pipeline shop (a
// run with a release, a deployment to staging, a waiting production gate,
// log lines and an approval in the audit trail) and pipeline api (one
// run deployed to dev), and returns the store's path.
func seedTwoPipelines(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.CreateRun(ctx, &state.Run{ID: "r-shop", Pipeline: "shop", Component: "shop", Commit: "aaaaaaaaaaaa", Branch: "main",
		Author: "alice@example.com", Kind: "run", Status: state.StatusWaiting, Reason: "waiting for approval",
		Plan: []byte(planBlob), Options: []byte(`{"dir":"shop"}`), StartedAt: jsonAt(0)}))
	require.NoError(t, st.CreateRun(ctx, &state.Run{ID: "r-api", Pipeline: "api", Component: "api", Commit: "bbbbbbbbbbbb", Branch: "main",
		Kind: "run", Status: state.StatusSucceeded, Plan: []byte(planBlob), StartedAt: jsonAt(5), FinishedAt: jsonAt(6)}))
	require.NoError(t, st.PutNode(ctx, &state.Node{RunID: "r-shop", NodeID: "build.shop.compile", Kind: "step", Status: state.StatusSucceeded, Attempts: 1}))
	require.NoError(t, st.AppendLogs(ctx, []state.LogLine{
		{RunID: "r-shop", NodeID: "build.shop.compile", Attempt: 1, Seq: 0, Stream: "stdout", Time: jsonAt(1), Text: "compiling"},
		{RunID: "r-shop", NodeID: "build.shop.compile", Attempt: 1, Seq: 1, Stream: "stdout", Time: jsonAt(1), Text: "done"},
	}))
	require.NoError(t, st.CreateRelease(ctx, &state.Release{ID: "rel-shop", Pipeline: "shop", Version: "2.0.0", Commit: "aaaaaaaaaaaa",
		Digest: "sha256:shop", RunID: "r-shop", CreatedAt: jsonAt(2), Artifacts: []state.Artifact{{Name: "bin", Path: "dist/shop", SHA256: "abc", Size: 7}}}))
	require.NoError(t, st.CreateRelease(ctx, &state.Release{ID: "rel-api", Pipeline: "api", Version: "0.3.0", Digest: "sha256:api", RunID: "r-api", CreatedAt: jsonAt(5)}))
	require.NoError(t, st.CreateDeployment(ctx, &state.Deployment{ID: "d-shop", Pipeline: "shop", Environment: "staging", ReleaseID: "rel-shop",
		Version: "2.0.0", RunID: "r-shop", Kind: state.DeployKindRun, Status: state.StatusSucceeded, StartedAt: jsonAt(3), FinishedAt: jsonAt(4),
		Commits: []state.Commit{{SHA: "aaaaaaaaaaaa", Author: "alice@example.com", Subject: "add cart"}}}))
	require.NoError(t, st.CreateDeployment(ctx, &state.Deployment{ID: "d-api", Pipeline: "api", Environment: "dev", ReleaseID: "rel-api",
		Version: "0.3.0", RunID: "r-api", Kind: state.DeployKindRun, Status: state.StatusSucceeded, StartedAt: jsonAt(5), FinishedAt: jsonAt(6)}))
	require.NoError(t, st.PutGate(ctx, &state.Gate{RunID: "r-shop", Pipeline: "shop", Environment: "production", Name: "production/go-live",
		Status: state.StatusWaiting, ReleaseDigest: "sha256:shop", WaitingSince: jsonAt(4)}))
	require.NoError(t, st.AppendAudit(ctx, &state.AuditEvent{At: jsonAt(4), Actor: "carol@example.com", Action: "approve", Pipeline: "shop",
		Environment: "staging", RunID: "r-shop", Release: "2.0.0"}))
	return path
}

// jsonPath walks a decoded JSON document along a dotted path of keys and
// array indexes.
func jsonPath(t *testing.T, doc any, path string) any {
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

var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkKeys fails for any object key that is not lower_snake_case.
func checkKeys(t *testing.T, doc any, where string) {
	t.Helper()
	switch c := doc.(type) {
	case map[string]any:
		for k, v := range c {
			if !snakeKey.MatchString(k) {
				t.Errorf("%s: key %q is not lower_snake_case", where, k)
			}
			checkKeys(t, v, where+"."+k)
		}
	case []any:
		for i, v := range c {
			checkKeys(t, v, where+"."+strconv.Itoa(i))
		}
	}
}

// checkNoLeak fails when a document shows a run's internal plan.
func checkNoLeak(t *testing.T, what, out string) {
	t.Helper()
	for _, banned := range []string{`"Plan"`, `"plan"`, `"Options"`, "internal-plan-marker", base64.StdEncoding.EncodeToString([]byte(planBlob))} {
		if strings.Contains(out, banned) {
			t.Errorf("%s output contains %s:\n%s", what, banned, out)
		}
	}
}

func TestQueryJSON(t *testing.T) {
	db := seedTwoPipelines(t)
	dir := writeFiles(t, map[string]string{"shop.pipeline.hcl": servePipeline})
	empty := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		fields map[string]any
	}{
		{"runs --all", []string{"runs", "--all", "-C", empty}, map[string]any{
			"runs.0.id": "r-api", "runs.0.pipeline": "api", "runs.0.status": "succeeded",
			"runs.0.started_at": "2025-03-01T12:05:00Z", "runs.0.finished_at": "2025-03-01T12:06:00Z",
			"runs.1.id": "r-shop", "runs.1.component": "shop", "runs.1.finished_at": nil, "runs.1.reason": "waiting for approval",
		}},
		{"runs of the pipeline", []string{"runs", "-C", dir}, map[string]any{"runs.0.id": "r-shop", "runs.0.kind": "run"}},
		{"logs", []string{"logs", "r-shop", "-C", empty}, map[string]any{
			"run_id": "r-shop", "step": "", "lines.0.node_id": "build.shop.compile", "lines.0.text": "compiling",
			"lines.0.at": "2025-03-01T12:01:00Z", "lines.1.seq": 1.0, "lines.1.stream": "stdout",
		}},
		{"logs of a step", []string{"logs", "r-shop", "compile", "-C", empty}, map[string]any{"step": "compile", "lines.1.text": "done"}},
		{"releases", []string{"releases", "-C", dir}, map[string]any{
			"releases.0.version": "2.0.0", "releases.0.digest": "sha256:shop", "releases.0.run_id": "r-shop",
			"releases.0.artifacts.0.sha256": "abc", "releases.0.artifacts.0.size": 7.0, "releases.0.images": []any{},
			"releases.0.created_at": "2025-03-01T12:02:00Z",
		}},
		{"history", []string{"history", "-C", dir}, map[string]any{
			"deployments.0.environment": "staging", "deployments.0.version": "2.0.0", "deployments.0.approved_by": []any{},
			"deployments.0.commits.0.subject": "add cart", "deployments.0.finished_at": "2025-03-01T12:04:00Z",
			"rollback_targets": []any{},
		}},
		{"status", []string{"status", "-C", dir}, map[string]any{
			"store":                                                "sqlite:" + db,
			"pipelines.0.pipeline":                                 "shop",
			"pipelines.0.environments.0.environment":               "staging",
			"pipelines.0.environments.0.live.version":              "2.0.0",
			"pipelines.0.environments.1.environment":               "production",
			"pipelines.0.environments.1.live":                      nil,
			"pipelines.0.environments.1.waiting.0.gate":            "go-live",
			"pipelines.0.environments.1.waiting.0.approve_command": "pipeline approve r-shop production/go-live",
		}},
		{"audit", []string{"audit", "-C", empty}, map[string]any{
			"events.0.seq": 1.0, "events.0.actor": "carol@example.com", "events.0.action": "approve", "events.0.at": "2025-03-01T12:04:00Z",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{}, tt.args...), "--state", "sqlite:"+db, "--json")
			code, stdout, stderr := runCLI(t, args...)
			require.Equal(t, 0, code, "pipeline %v: stderr %s", args, stderr)
			var doc any
			require.NoError(t, json.Unmarshal([]byte(stdout), &doc), stdout)
			for path, want := range tt.fields {
				if got := jsonPath(t, doc, path); !jsonEqual(got, want) {
					t.Errorf("pipeline %v: %s = %#v; want %#v", tt.args, path, got, want)
				}
			}
			checkKeys(t, doc, tt.name)
			checkNoLeak(t, tt.name, stdout)
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestQueryJSONMatchesServe checks that the CLI prints the same document as
// the server's API for the same query.
func TestQueryJSONMatchesServe(t *testing.T) {
	db := seedTwoPipelines(t)
	dir := writeFiles(t, map[string]string{"shop.pipeline.hcl": servePipeline})
	st, err := sqlite.Open(context.Background(), db, nil)
	require.NoError(t, err)
	defer st.Close()
	srv := httptest.NewServer(serve.New(serve.Options{Querier: engine.New(engine.Options{Store: st})}))
	defer srv.Close()
	tests := []struct {
		args []string
		api  string
	}{
		{[]string{"runs", "--all", "--limit", "20"}, "/api/runs?limit=20"},
		{[]string{"releases", "--limit", "20"}, "/api/releases?pipeline=shop&limit=20"},
		{[]string{"history", "--limit", "20"}, "/api/history?pipeline=shop&limit=20"},
		{[]string{"audit", "--limit", "20"}, "/api/audit?pipeline=shop&limit=20"},
	}
	for _, tt := range tests {
		t.Run(tt.api, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(tt.args, "-C", dir, "--state", "sqlite:"+db, "--json")...)
			require.Equal(t, 0, code, stderr)
			resp, err := http.Get(srv.URL + tt.api)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			if stdout != string(body) {
				t.Errorf("pipeline %v --json =\n%s\nwant the same as GET %s =\n%s", tt.args, stdout, tt.api, body)
			}
		})
	}
}

// TestStatusAll shows two pipelines of one SQLite store from a directory
// that holds no pipeline files.
func TestStatusAll(t *testing.T) {
	db := seedTwoPipelines(t)
	root := t.TempDir()

	code, stdout, stderr := runCLI(t, "status", "--all", "-C", root, "--state", "sqlite:"+db, "--json")
	require.Equal(t, 0, code, stderr)
	var doc struct {
		Pipelines []struct {
			Pipeline     string `json:"pipeline"`
			Environments []struct {
				Environment string `json:"environment"`
				Live        *struct {
					Version string `json:"version"`
				} `json:"live"`
				Waiting []struct {
					Gate string `json:"gate"`
				} `json:"waiting"`
			} `json:"environments"`
		} `json:"pipelines"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc), stdout)
	var got []string
	for _, p := range doc.Pipelines {
		for _, e := range p.Environments {
			row := p.Pipeline + "/" + e.Environment
			if e.Live != nil {
				row += "=" + e.Live.Version
			}
			for _, g := range e.Waiting {
				row += " waiting:" + g.Gate
			}
			got = append(got, row)
		}
	}
	want := []string{"api/dev=0.3.0", "shop/staging=2.0.0", "shop/production waiting:go-live"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("status --all --json rows = %q; want %q", got, want)
	}

	code, stdout, stderr = runCLI(t, "status", "--all", "-C", root, "--state", "sqlite:"+db)
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{"PIPELINE", "api", "dev", "0.3.0", "shop", "staging", "2.0.0", "go-live (run r-shop)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("status --all does not show %q:\n%s", want, stdout)
		}
	}

	code, _, stderr = runCLI(t, "status", "-C", root, "--state", "sqlite:"+db)
	if code != exitUsage {
		t.Errorf("status without config and without --all = exit %d (stderr %s); want %d", code, stderr, exitUsage)
	}
}

const localPipeline = `pipeline "tool" {
  version = "1.0.${git.commit_count}"
}

build "tool" {
  step "compile" {
    runner = "local"
    run    = "mkdir -p dist && echo built > dist/tool"
  }
}

package "tool" {
  artifact "bin" {
    path = "dist/tool"
  }
}

environment "staging" {
  step "rollout" {
    runner = "local"
    run    = "echo deploying ${release.version}"
  }
}

environment "production" {
  requires = [environment.staging]
  gate "go-live" {
    approvers = ["carol@example.com"]
  }
  step "rollout" {
    runner = "local"
    run    = "echo deploying ${release.version}"
  }
}
`

// gitRepo writes files into a new git repository with one commit.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := writeFiles(t, files)
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"-c", "user.email=alice@example.com", "-c", "user.name=Alice", "add", "."},
		{"-c", "user.email=alice@example.com", "-c", "user.name=Alice", "commit", "-q", "-m", "first"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	return dir
}

func TestRunJSON(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	repo := gitRepo(t, map[string]string{"tool.pipeline.hcl": localPipeline})
	db := "sqlite:" + filepath.Join(t.TempDir(), "state.db")

	code, stdout, stderr := runCLI(t, "run", "-C", repo, "--state", db, "--runner", "local", "--plain", "--trusted-ref", "main", "--json")
	require.Equal(t, exitStopped, code, "run --json: stdout %s stderr %s", stdout, stderr)
	var res struct {
		RunID    string `json:"run_id"`
		Pipeline string `json:"pipeline"`
		Status   string `json:"status"`
		ExitCode int    `json:"exit_code"`
		Release  *struct {
			Version string `json:"version"`
			Digest  string `json:"digest"`
		} `json:"release"`
		Waiting             []waitingJSON    `json:"waiting"`
		Deployments         []deploymentJSON `json:"deployments"`
		ResumeCommand       string           `json:"resume_command"`
		WallSeconds         float64          `json:"wall_seconds"`
		CriticalPath        []string         `json:"critical_path"`
		CriticalPathSeconds float64          `json:"critical_path_seconds"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), "stdout must hold the JSON result only: %s", stdout)
	if len(res.CriticalPath) == 0 || res.CriticalPathSeconds <= 0 || res.CriticalPathSeconds > res.WallSeconds+0.05 {
		t.Errorf("run --json timing: wall %.3fs, critical path %v (%.3fs); want a non-empty path no longer than the wall time",
			res.WallSeconds, res.CriticalPath, res.CriticalPathSeconds)
	}
	var doc any
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	checkKeys(t, doc, "run --json")
	checkNoLeak(t, "run --json", stdout)

	if !strings.HasPrefix(res.RunID, "r-") || !strings.HasPrefix(stderr, "run "+res.RunID+" ") {
		t.Errorf("run --json run_id = %q; want the id the human log on stderr starts with: %q", res.RunID, firstLine(stderr))
	}
	checks := []struct{ what, got, want string }{
		{"pipeline", res.Pipeline, "tool"},
		{"status", res.Status, "waiting"},
		{"exit_code", strconv.Itoa(res.ExitCode), "3"},
		{"waiting", waitingString(res.Waiting), "production/go-live"},
		{"deployments", deploymentsString(res.Deployments), "staging=1.0.1 succeeded"},
	}
	if res.Release == nil || res.Release.Version != "1.0.1" || !strings.HasPrefix(res.Release.Digest, "sha256:") {
		t.Errorf("run --json release = %+v; want version 1.0.1 with a sha256 digest", res.Release)
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("run --json %s = %q; want %q", c.what, c.got, c.want)
		}
	}
	require.Len(t, res.Waiting, 1)
	prefix := "pipeline -C " + shellQuote(repo) + " --state " + shellQuote(db)
	if want := prefix + " approve " + res.RunID + " go-live"; res.Waiting[0].ApproveCommand != want {
		t.Errorf("run --json approve_command = %q; want %q", res.Waiting[0].ApproveCommand, want)
	}
	if want := prefix + " resume " + res.RunID; res.ResumeCommand != want {
		t.Errorf("run --json resume_command = %q; want %q", res.ResumeCommand, want)
	}

	// The plain output is unchanged: the run id on the first line of stdout.
	code, stdout, stderr = runCLI(t, "run", "-C", repo, "--state", db, "--runner", "local", "--plain", "--trusted-ref", "main", "--only", "build")
	require.Equal(t, 0, code, "run: stdout %s stderr %s", stdout, stderr)
	if !regexp.MustCompile(`^run r-\S+  \(run tool, commit `).MatchString(firstLine(stdout)) {
		t.Errorf("run first line = %q; want the run id first", firstLine(stdout))
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func waitingString(ws []waitingJSON) string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Environment+"/"+w.Gate)
	}
	return strings.Join(out, ", ")
}

func deploymentsString(ds []deploymentJSON) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Environment+"="+d.Version+" "+d.Status)
	}
	return strings.Join(out, ", ")
}

type waitingJSON struct {
	Environment    string `json:"environment"`
	Gate           string `json:"gate"`
	ApproveCommand string `json:"approve_command"`
}

type deploymentJSON struct {
	Environment string `json:"environment"`
	Version     string `json:"version"`
	Status      string `json:"status"`
}
