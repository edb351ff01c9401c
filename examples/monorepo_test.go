package examples_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/pipeline-cd/pipeline/engine/view"
	"github.com/pipeline-cd/pipeline/internal/clitest"
	"github.com/pipeline-cd/pipeline/internal/testenv"
)

// TestMonorepoComponents drives examples/monorepo against the real Docker
// engine: api and worker are run from one repository with one state store,
// both reach staging, and approving only the api's production gate deploys
// the api to production while the worker stays in staging.
func TestMonorepoComponents(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test of the monorepo example: needs Docker and git; skipped with -short")
	}
	docker := testenv.RequireDocker(t)
	testenv.RequireTestImage(t)
	for _, tool := range []string{"docker", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "the monorepo example needs %s on PATH: %v", tool, err)
		}
	}
	clitest.Binary(t)

	tmp := t.TempDir()
	repo := filepath.Join(tmp, "monorepo")
	exampleRepo(t, "monorepo", repo)

	app := fmt.Sprintf("mono-e2e-%d", os.Getpid())
	staging, production := freePort(t), freePort(t)
	state := filepath.Join(tmp, "state.db")
	common := []string{"--state", state, "-var", "app=" + app}
	apiFlags := append([]string{"-C", "api",
		"-var", "staging_port=" + strconv.Itoa(staging),
		"-var", "production_port=" + strconv.Itoa(production)}, common...)
	workerFlags := append([]string{"-C", "worker"}, common...)
	t.Cleanup(func() {
		images := append(releaseImages(t, repo, apiFlags), releaseImages(t, repo, workerFlags)...)
		removeExampleResources(t, docker, app, images)
	})
	pl := func(want int, flags []string, args ...string) result {
		t.Helper()
		return mustCode(t, want, repo, nil, append(args, flags...)...)
	}

	apiRun := runID(t, pl(3, apiFlags, "run"))
	workerRun := runID(t, pl(3, workerFlags, "run"))

	if got, err := getJSON(staging, "/version"); err != nil || got["version"] != "0.1.1" {
		t.Errorf("api staging GET /version = %v, %v; want version 0.1.1", got, err)
	}
	wantWorker(t, docker, app, "staging", "0.3.1")
	wantWorker(t, docker, app, "production", "")

	// Approving the api's gate deploys the api alone.
	pl(0, apiFlags, "approve", apiRun, "release", "--as", e2eAuthor)
	pl(0, []string{"-C", "api", "--state", state}, "resume", apiRun) // a run resumes with the variables it started with
	if got, err := getJSON(production, "/version"); err != nil || got["version"] != "0.1.1" {
		t.Errorf("api production GET /version = %v, %v; want version 0.1.1", got, err)
	}
	wantWorker(t, docker, app, "production", "")

	// Each component has its own status, from the one shared store.
	if live := liveVersions(t, pl(0, apiFlags, "status", "--json")); live["production"] != "0.1.1" || live["staging"] != "0.1.1" {
		t.Errorf("api status: live = %v; want staging and production at 0.1.1", live)
	}
	if live := liveVersions(t, pl(0, workerFlags, "status", "--json")); live["staging"] != "0.3.1" || live["production"] != "" {
		t.Errorf("worker status: live = %v; want staging at 0.3.1 and nothing in production", live)
	}
	var runs view.Runs
	res := pl(0, common, "runs", "--all", "--json")
	if err := json.Unmarshal([]byte(res.stdout), &runs); err != nil {
		t.Fatalf("pipeline runs --all --json is not JSON: %v\n%s", err, res)
	}
	got := map[string]string{}
	for _, r := range runs.Runs {
		got[r.ID] = r.Pipeline + " " + r.Status
	}
	want := map[string]string{apiRun: "api succeeded", workerRun: "worker waiting"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("pipeline runs --all: run %s = %q; want %q (all runs: %v)", id, got[id], w, got)
		}
	}
}

// getJSON GETs path from 127.0.0.1:port and decodes a JSON object.
func getJSON(port int, path string) (map[string]any, error) {
	resp, err := httpClient.Get("http://127.0.0.1:" + strconv.Itoa(port) + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("GET %s answered %q: %w", path, body, err)
	}
	return out, nil
}

// wantWorker checks the worker container of env: running with version, or
// absent when version is "".
func wantWorker(t *testing.T, docker *client.Client, app, env, version string) {
	t.Helper()
	name := app + "-worker-" + env
	list, err := docker.ContainerList(context.Background(), container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("name", "^/"+name+"$")),
	})
	if err != nil {
		t.Fatalf("listing container %s: %v", name, err)
	}
	if version == "" {
		if len(list) != 0 {
			t.Errorf("container %s exists (%s); want none", name, list[0].State)
		}
		return
	}
	if len(list) != 1 {
		t.Fatalf("containers named %s = %d; want 1", name, len(list))
	}
	c := list[0]
	if c.State != "running" || c.Labels["dev.pipeline.example.version"] != version {
		t.Errorf("container %s: state %s, version label %q; want running %s", name, c.State, c.Labels["dev.pipeline.example.version"], version)
	}
	if !slices.Contains(c.Names, "/"+name) {
		t.Errorf("container names = %v; want /%s", c.Names, name)
	}
}
