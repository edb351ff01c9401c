package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/runnertest"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

// newTestRunner returns a Runner on the real engine with a short grace
// period; its background removals are waited for when t ends.
func newTestRunner(t testing.TB, opts Options) (*Runner, *client.Client) {
	t.Helper()
	cli := testenv.RequireDocker(t)
	testenv.RequireTestImage(t)
	if opts.StopGrace == 0 {
		opts.StopGrace = time.Second
	}
	r := New(cli, opts, hclog.NewNullLogger())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := r.Close(ctx); err != nil {
			t.Errorf("Close() = %v; want nil", err)
		}
	})
	return r, cli
}

// runID returns a run ID unique to t, to find its containers by label.
func runID(t testing.TB) string {
	return fmt.Sprintf("test-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
}

// containersOf lists every container, running or not, labelled with run.
func containersOf(t testing.TB, cli *client.Client, run string) []container.Summary {
	t.Helper()
	list, err := cli.ContainerList(context.Background(), container.ListOptions{
		All:     true,
		Filters: filters.NewArgs(filters.Arg("label", runners.LabelRun+"="+run)),
	})
	if err != nil {
		t.Fatalf("ContainerList(label %s=%s) = %v", runners.LabelRun, run, err)
	}
	return list
}

func TestConformance(t *testing.T) {
	runnertest.Run(t, func(t *testing.T) runners.Runner {
		r, _ := newTestRunner(t, Options{})
		return r
	}, runnertest.Options{Image: testenv.TestImage, StopWithin: 5 * time.Second})
}

func TestNoContainerLeftBehind(t *testing.T) {
	r, cli := newTestRunner(t, Options{})
	run := runID(t)
	tests := []struct {
		name    string
		script  string
		timeout time.Duration
		cancel  time.Duration
		wantErr error
	}{
		{"success", "echo ok", 0, 0, nil},
		{"failure", "exit 3", 0, 0, nil},
		{"timeout", "sleep 30", 300 * time.Millisecond, 0, runners.ErrTimeout},
		{"cancel", "sleep 30", 0, 300 * time.Millisecond, runners.ErrCanceled},
		{"ignores SIGTERM", "trap '' TERM; sleep 30 & wait; sleep 30", 0, 300 * time.Millisecond, runners.ErrCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel > 0 {
				time.AfterFunc(tt.cancel, cancel)
			}
			step := &runners.Step{ID: tt.name, RunID: run, Script: tt.script, Image: testenv.TestImage,
				Workspace: t.TempDir(), Timeout: tt.timeout}
			_, err := r.Run(ctx, step, nil, nil)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Run(%q) = %v; want %v", tt.script, err, tt.wantErr)
			}
			if tt.wantErr != nil {
				// Stopped containers are removed before Run returns.
				if left := containersOf(t, cli, run); len(left) != 0 {
					t.Errorf("containers labelled %s=%s after Run(%q) returned %v: %d; want 0", runners.LabelRun, run, tt.script, err, len(left))
				}
			}
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := r.Wait(ctx); err != nil {
		t.Fatalf("Wait() = %v", err)
	}
	if left := containersOf(t, cli, run); len(left) != 0 {
		t.Errorf("containers labelled %s=%s after Wait: %d; want 0", runners.LabelRun, run, len(left))
	}
}

func TestLabelsAndIsolation(t *testing.T) {
	r, _ := newTestRunner(t, Options{})
	step := &runners.Step{
		ID: "inspect", RunID: runID(t), Image: testenv.TestImage, Workspace: t.TempDir(),
		Labels: map[string]string{"team": "web", runners.LabelManaged: "false"},
		// The engine's view of the container, from inside: mounts and capabilities.
		Script: `grep -c ' /workspace ' /proc/self/mountinfo; grep CapEff /proc/self/status; pwd`,
	}
	spec, err := r.translate(step)
	if err != nil {
		t.Fatal(err)
	}
	wantLabels := map[string]string{
		"team": "web", runners.LabelManaged: "true", runners.LabelRun: step.RunID,
		runners.LabelStep: "inspect", runners.LabelPID: strconv.Itoa(os.Getpid()),
	}
	for k, v := range wantLabels {
		if got := spec.config.Labels[k]; got != v {
			t.Errorf("label %s = %q; want %q", k, got, v)
		}
	}
	var out runnertest.Buffer
	res, err := r.Run(context.Background(), step, &out, &out)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run(%q) = %+v, %v; output %q", step.Script, res, err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("Run(%q) output = %q; want 3 lines", step.Script, out.String())
	}
	if lines[0] != "1" {
		t.Errorf("workspace mounts = %q; want 1", lines[0])
	}
	if lines[1] == "CapEff:\t000001ffffffffff" || lines[1] == "CapEff:\t0000003fffffffff" {
		t.Errorf("container capabilities %q look privileged", lines[1])
	}
	if lines[2] != runners.WorkspaceMount {
		t.Errorf("working directory = %q; want %q", lines[2], runners.WorkspaceMount)
	}
}

func TestPrivilegedAllowed(t *testing.T) {
	r, _ := newTestRunner(t, Options{AllowPrivileged: true})
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "note"), []byte("from the host"), 0o644); err != nil {
		t.Fatal(err)
	}
	step := &runners.Step{ID: "mount", RunID: runID(t), Image: testenv.TestImage, Workspace: t.TempDir(),
		Mounts: []string{host + ":/host:ro"}, Script: "cat /host/note"}
	var out runnertest.Buffer
	res, err := r.Run(context.Background(), step, &out, &out)
	if err != nil || res.ExitCode != 0 || out.String() != "from the host" {
		t.Errorf("Run(%q) with AllowPrivileged = %+v, %v, output %q; want exit 0 and %q", step.Script, res, err, out.String(), "from the host")
	}
}

func TestPullNever(t *testing.T) {
	r, _ := newTestRunner(t, Options{})
	const missing = "pipeline-test/does-not-exist:latest"
	step := &runners.Step{ID: "missing", RunID: runID(t), Image: missing, Pull: PullNever, Script: "true", Workspace: t.TempDir()}
	_, err := r.Run(context.Background(), step, nil, nil)
	if !errors.Is(err, ErrImageMissing) {
		t.Fatalf("Run(image %s, pull never) = %v; want ErrImageMissing", missing, err)
	}
	for _, want := range []string{missing, "docker pull " + missing, "docker build -t " + missing, "docker load"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Run(image %s, pull never) error %q does not mention %q", missing, err, want)
		}
	}
	if strings.Contains(err.Error(), "testdata/") {
		t.Errorf("Run(image %s, pull never) error %q points at this project's test files; want advice for the user's own image", missing, err)
	}
}

func TestPullFailure(t *testing.T) {
	r, _ := newTestRunner(t, Options{})
	// Port 1 on the loopback refuses connections: the pull fails at once.
	const unreachable = "127.0.0.1:1/pipeline-test/nothing:1"
	for _, policy := range []string{PullMissing, PullAlways} {
		t.Run(policy, func(t *testing.T) {
			step := &runners.Step{ID: "pull", RunID: runID(t), Image: unreachable, Pull: policy, Script: "true", Workspace: t.TempDir()}
			_, err := r.Run(context.Background(), step, nil, nil)
			if !errors.Is(err, ErrPullFailed) || !strings.Contains(err.Error(), unreachable) || !strings.Contains(err.Error(), "docker build -t "+unreachable) {
				t.Errorf("Run(image %s, pull %s) = %v; want ErrPullFailed naming the image and how to build it", unreachable, policy, err)
			}
		})
	}
}

func TestUnreachableDaemon(t *testing.T) {
	tests := []struct {
		name string
		host string
	}{
		{"missing socket", "unix:///nonexistent.sock"},
		{"refused port", "tcp://127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DOCKER_HOST", tt.host)
			r, err := NewFromEnv(Options{}, hclog.NewNullLogger())
			if err != nil {
				t.Fatalf("NewFromEnv() with DOCKER_HOST=%s = %v", tt.host, err)
			}
			defer r.Close(context.Background())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			step := &runners.Step{ID: "build.app.compile", Image: testenv.TestImage, Script: "true", Workspace: t.TempDir()}
			_, err = r.Run(ctx, step, nil, nil)
			if !errors.Is(err, ErrDaemonUnreachable) {
				t.Fatalf("Run with DOCKER_HOST=%s = %v; want ErrDaemonUnreachable", tt.host, err)
			}
			for _, want := range []string{"DOCKER_HOST=" + tt.host, "build.app.compile", "start the Docker daemon"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Run with DOCKER_HOST=%s: error %q does not mention %q", tt.host, err, want)
				}
			}
			if err := r.Ping(ctx); !errors.Is(err, ErrDaemonUnreachable) {
				t.Errorf("Ping with DOCKER_HOST=%s = %v; want ErrDaemonUnreachable", tt.host, err)
			}
		})
	}
}

// TestCleanupTouchesOnlyThisHost simulates two hosts sharing one Docker
// engine (two runners with different host identities) and a container
// made before the host label existed. Each host removes only its own
// containers of dead processes (and with all, its live ones too); the
// other host's and the unlabelled ones are left alone, even when their
// PIDs are dead here.
//
// Other pipeline processes on this engine may run a cleanup at the same
// moment, and one built before the host label existed removes every
// container of a dead PID. So a container of a dead PID that disappears is
// checked through the count each Cleanup returns (it counts only what it
// removed itself), and the live ones, which no cleanup without all
// removes, through what is left.
func TestCleanupTouchesOnlyThisHost(t *testing.T) {
	run := runID(t)
	hostA, hostB := "test-host-a-"+run, "test-host-b-"+run
	a, cli := newTestRunner(t, Options{HostID: hostA})
	b, _ := newTestRunner(t, Options{HostID: hostB})
	ctx := context.Background()
	// A PID that was alive and is now dead: a finished child of ours.
	child := exec.Command("true")
	if err := child.Run(); err != nil {
		t.Fatal(err)
	}
	dead, live := child.Process.Pid, os.Getpid()
	create := func(host string, pid int) string {
		t.Helper()
		labels := map[string]string{runners.LabelManaged: "true", runners.LabelRun: run, runners.LabelPID: strconv.Itoa(pid)}
		if host != "" {
			labels[runners.LabelHost] = host
		}
		c, err := cli.ContainerCreate(ctx, &container.Config{Image: testenv.TestImage, Cmd: []string{"sleep", "30"}, Labels: labels}, nil, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}) })
		return c.ID
	}
	names := map[string]string{}
	for _, c := range []struct {
		name, host string
		pid        int
	}{{"A dead", hostA, dead}, {"A live", hostA, live}, {"B dead", hostB, dead}, {"B live", hostB, live},
		{"unlabelled dead", "", dead}, {"unlabelled live", "", live}} {
		names[create(c.host, c.pid)] = c.name
	}
	left := func() map[string]bool {
		t.Helper()
		out := map[string]bool{}
		for _, c := range containersOf(t, cli, run) {
			out[names[c.ID]] = true
		}
		return out
	}
	check := func(what string, n int, err error, maxRemoved int, gone, kept []string) {
		t.Helper()
		if err != nil || n > maxRemoved {
			t.Errorf("%s = %d, %v; want at most %d (only this host's), nil", what, n, err, maxRemoved)
		}
		now := left()
		for _, name := range gone {
			if now[name] {
				t.Errorf("after %s container %q is left; want it removed", what, name)
			}
		}
		for _, name := range kept {
			if !now[name] {
				t.Errorf("after %s container %q is gone; want it kept", what, name)
			}
		}
	}
	n, err := a.Cleanup(ctx, false)
	check("A.Cleanup(false)", n, err, 1, []string{"A dead"}, []string{"A live", "B live", "unlabelled live"})
	n, err = a.Cleanup(ctx, true)
	check("A.Cleanup(true)", n, err, 1, []string{"A live"}, []string{"B live", "unlabelled live"})
	if l := left(); l["B dead"] {
		n, err = b.Cleanup(ctx, false)
		check("B.Cleanup(false)", n, err, 1, []string{"B dead"}, []string{"B live", "unlabelled live"})
		if n != 1 {
			t.Errorf("B.Cleanup(false) removed %d containers; want 1, its own container of a dead process that host A left alone", n)
		}
	} else {
		t.Logf("another process removed host B's container of a dead PID; host A's counts show it was not host A")
	}
}

// TestImageRemovedBetweenSteps checks that the Runner's memory of present
// images does not hide an image removed behind its back.
func TestImageRemovedBetweenSteps(t *testing.T) {
	r, cli := newTestRunner(t, Options{})
	ctx := context.Background()
	tag := fmt.Sprintf("pipeline-test/busybox:removed-%d", os.Getpid())
	if err := cli.ImageTag(ctx, testenv.TestImage, tag); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = cli.ImageRemove(ctx, tag, image.RemoveOptions{}) })
	step := &runners.Step{ID: "first", RunID: runID(t), Image: tag, Pull: PullNever, Script: "true", Workspace: t.TempDir()}
	if res, err := r.Run(ctx, step, nil, nil); err != nil || res.ExitCode != 0 {
		t.Fatalf("Run(image %s) = %+v, %v; want exit 0", tag, res, err)
	}
	if _, err := cli.ImageRemove(ctx, tag, image.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	step.ID = "second"
	if _, err := r.Run(ctx, step, nil, nil); !errors.Is(err, ErrImageMissing) {
		t.Errorf("Run(image %s) after removing it = %v; want ErrImageMissing", tag, err)
	}
}
