package examples_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/pipeline-cd/pipeline/engine/view"
	"github.com/pipeline-cd/pipeline/internal/clitest"
	"github.com/pipeline-cd/pipeline/internal/gittest"
	"github.com/pipeline-cd/pipeline/internal/testenv"
)

// e2eAuthor is the commit author of the test repository; the production
// gate admits "author", so the test approves as this identity.
const e2eAuthor = "e2e@example.com"

// webappEnv is one environment of the webapp example in the test: its
// name and the free port the test gives it.
type webappEnv struct {
	name string
	port int
}

// TestWebappEndToEnd drives examples/webapp through the CLI against the real
// Docker engine: a first release stops at the production gate after
// internal and beta answer with its version, is approved and resumed into
// production, a second release follows it, and a rollback brings the first
// release's container back on the production port.
func TestWebappEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test of the webapp example: needs Docker, git and go; skipped with -short")
	}
	docker := testenv.RequireDocker(t)
	for _, tool := range []string{"docker", "git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "the webapp example needs %s on PATH: %v", tool, err)
		}
	}
	clitest.Binary(t) // build it before the clock of the first run starts

	tmp := t.TempDir()
	repo := filepath.Join(tmp, "webapp")
	exampleRepo(t, "webapp", repo)

	app := fmt.Sprintf("webapp-e2e-%d", os.Getpid())
	envs := []webappEnv{{"internal", freePort(t)}, {"beta", freePort(t)}, {"production", freePort(t)}}
	state := filepath.Join(tmp, "state.db")
	flags := []string{"-C", repo, "--state", state, "-var", "app=" + app}
	for _, e := range envs {
		flags = append(flags, "-var", fmt.Sprintf("%s_port=%d", e.name, e.port))
	}
	t.Cleanup(func() { removeExampleResources(t, docker, app, releaseImages(t, repo, flags)) })
	env := []string{"PIPELINE_USER=" + e2eAuthor}
	pl := func(want int, args ...string) result {
		t.Helper()
		return mustCode(t, want, repo, env, append(args, flags...)...)
	}

	// Release 1.0.1: build, test, package, internal, beta; stop at the gate.
	res := pl(3, "run")
	run1 := runID(t, res)
	wantVersion(t, envs[0], "1.0.1")
	wantVersion(t, envs[1], "1.0.1")
	wantDown(t, envs[2])

	pl(0, "approve", run1, "go-live", "--as", e2eAuthor)
	mustCode(t, 0, repo, env, "resume", run1, "-C", repo, "--state", state) // a run resumes with the variables it started with
	wantVersion(t, envs[2], "1.0.1")

	// Release 1.0.2 from a new commit, all the way to production.
	editFile(t, filepath.Join(repo, "main.go"), "shutting down", "shutting down gracefully")
	gittest.Git(t, repo, "commit", "-q", "-am", "say how the service shuts down")
	res = pl(3, "run")
	run2 := runID(t, res)
	if run2 == run1 {
		t.Fatalf("second run id = %q; want a new id (first run was %q)", run2, run1)
	}
	wantVersion(t, envs[1], "1.0.2")
	wantVersion(t, envs[2], "1.0.1")
	pl(0, "approve", run2, "go-live", "--as", e2eAuthor)
	mustCode(t, 0, repo, env, "resume", run2, "-C", repo, "--state", state)
	wantVersion(t, envs[2], "1.0.2")

	// Roll production back: the 1.0.1 image answers again, beta is untouched.
	pl(0, "rollback", "production")
	wantVersion(t, envs[2], "1.0.1")
	wantVersion(t, envs[1], "1.0.2")

	// The store agrees with what answers on the ports.
	live := liveVersions(t, pl(0, "status", "--json"))
	want := map[string]string{"internal": "1.0.2", "beta": "1.0.2", "production": "1.0.1 (rollback)"}
	for env, v := range want {
		if live[env] != v {
			t.Errorf("pipeline status --json: %s live = %q; want %q", env, live[env], v)
		}
	}
}

// runIDLine matches the line pipeline run prints first: "run ID  (...)".
var runIDLine = regexp.MustCompile(`(?mi)^run (\S+)\s`)

// runID returns the run id pipeline run printed first.
func runID(t *testing.T, res result) string {
	t.Helper()
	m := runIDLine.FindStringSubmatch(res.stdout)
	if m == nil {
		t.Fatalf("no \"run ID\" line in the output of pipeline run\n%s", res)
	}
	return m[1]
}

// liveVersions returns, from pipeline status --json, each environment's
// live version, followed by " (KIND)" when the deployment was not part of a
// run (a promotion or rollback).
func liveVersions(t *testing.T, res result) map[string]string {
	t.Helper()
	var status view.Status
	if err := json.Unmarshal([]byte(res.stdout), &status); err != nil {
		t.Fatalf("pipeline status --json is not JSON: %v\n%s", err, res)
	}
	if len(status.Pipelines) != 1 {
		t.Fatalf("pipeline status --json lists %d pipelines; want 1\n%s", len(status.Pipelines), res)
	}
	out := map[string]string{}
	for _, e := range status.Pipelines[0].Environments {
		if e.Live == nil {
			continue
		}
		v := e.Live.Version
		if e.Live.Kind != "run" {
			v += " (" + e.Live.Kind + ")"
		}
		out[e.Environment] = v
	}
	return out
}

// releaseImages returns the image IDs of every release recorded in the
// test's state store.
func releaseImages(t *testing.T, dir string, flags []string) []string {
	t.Helper()
	res := cli(t, dir, nil, append([]string{"releases", "--json"}, flags...)...)
	if res.code != 0 {
		t.Errorf("cleanup: listing releases: exit code %d\n%s", res.code, res)
		return nil
	}
	var releases view.Releases
	if err := json.Unmarshal([]byte(res.stdout), &releases); err != nil {
		t.Errorf("cleanup: pipeline releases --json is not JSON: %v\n%s", err, res)
		return nil
	}
	var ids []string
	for _, r := range releases.Releases {
		for _, img := range r.Images {
			ids = append(ids, img.ID)
		}
	}
	return ids
}

// copyExample copies examples/NAME to dst, leaving out build output and
// state.
func copyExample(t *testing.T, name, dst string) {
	t.Helper()
	err := filepath.WalkDir(name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(name, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "dist" || d.Name() == ".pipeline" {
				return fs.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copying examples/%s to %s: %v", name, dst, err)
	}
}

// exampleRepo copies examples/NAME to dst and commits it to a new git
// repository there, as e2eAuthor.
func exampleRepo(t *testing.T, name, dst string) {
	t.Helper()
	copyExample(t, name, dst)
	gittest.InitIn(t, dst)
	gittest.Git(t, dst, "config", "user.email", e2eAuthor)
	gittest.Commit(t, dst, name+" example", nil)
}

// editFile replaces old with new in path; old must occur.
func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// versionInfo is the JSON the webapp answers on /version.
type versionInfo struct {
	Service     string `json:"service"`
	Version     string `json:"version"`
	Environment string `json:"environment"`
}

var httpClient = &http.Client{Timeout: 2 * time.Second}

// getVersion asks the webapp on port for /version.
func getVersion(port int) (versionInfo, error) {
	var info versionInfo
	resp, err := httpClient.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/version")
	if err != nil {
		return info, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return info, err
	}
	if resp.StatusCode != http.StatusOK {
		return info, fmt.Errorf("GET /version: %s: %s", resp.Status, body)
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return info, fmt.Errorf("GET /version answered %q: %w", body, err)
	}
	return info, nil
}

// wantVersion checks that the webapp of env answers with version. The
// deployment has already waited for health, so it answers at once.
func wantVersion(t *testing.T, env webappEnv, version string) {
	t.Helper()
	got, err := getVersion(env.port)
	if err != nil {
		t.Fatalf("%s (port %d): %v; want version %s", env.name, env.port, err, version)
	}
	want := versionInfo{Service: "webapp", Version: version, Environment: env.name}
	if got != want {
		t.Errorf("%s (port %d) GET /version = %+v; want %+v", env.name, env.port, got, want)
	}
}

// wantDown checks that nothing answers on env's port yet.
func wantDown(t *testing.T, env webappEnv) {
	t.Helper()
	if got, err := getVersion(env.port); err == nil {
		t.Errorf("%s (port %d) answered %+v before its deployment; want no answer", env.name, env.port, got)
	}
}

// removeExampleResources removes the containers the test's deployments
// started (by their app label) and the images its releases built.
func removeExampleResources(t *testing.T, docker *client.Client, app string, images []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	list, err := docker.ContainerList(ctx, container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", "dev.pipeline.example.app="+app)),
	})
	if err != nil {
		t.Errorf("cleanup: listing containers of %s: %v", app, err)
	}
	for _, c := range list {
		if err := docker.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil {
			t.Errorf("cleanup: removing container %s: %v", c.ID, err)
		}
	}
	for _, id := range images {
		_, err := docker.ImageRemove(ctx, id, image.RemoveOptions{Force: true, PruneChildren: true})
		if err != nil && !client.IsErrNotFound(err) {
			t.Errorf("cleanup: removing image %s: %v", id, err)
		}
	}
}
