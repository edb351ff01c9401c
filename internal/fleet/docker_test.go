package fleet_test

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/pipeline-cd/pipeline/internal/clitest"
	"github.com/pipeline-cd/pipeline/internal/gittest"
	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
)

// dropProxy forwards a unix socket to the Docker engine's, and while
// dropping it closes every connection, old and new: the engine's API is
// unreachable for that time.
type dropProxy struct {
	l        net.Listener
	target   string
	dropping atomic.Bool
	dropped  atomic.Int64 // connections cut or refused
	accepted atomic.Int64 // connections forwarded
	mu       sync.Mutex
	conns    map[net.Conn]bool
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "docker.sock"))
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{l: l, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { l.Close() })
	go p.serve()
	return p
}

func (p *dropProxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		if p.dropping.Load() {
			p.dropped.Add(1)
			c.Close()
			continue
		}
		p.accepted.Add(1)
		go p.forward(c)
	}
}

func (p *dropProxy) forward(c net.Conn) {
	up, err := net.Dial("unix", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// drop cuts every connection and refuses new ones until restore.
func (p *dropProxy) drop() {
	p.dropping.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		p.dropped.Add(1)
		c.Close()
	}
}

func (p *dropProxy) restore() { p.dropping.Store(false) }

// TestDockerAPIOutage makes the Docker engine's API unreachable for 1.5s
// in the middle of a run whose steps run in containers. The run must end
// cleanly (success, or exit 1 with a message naming Docker; no panic), be
// recorded in a final state with every invariant intact, and after
// `pipeline gc` no container of the run may be left.
func TestDockerAPIOutage(t *testing.T) {
	testenv.RequireTestImage(t)
	cli := testenv.RequireDocker(t)
	sock := strings.TrimPrefix(cli.DaemonHost(), "unix://")
	if !strings.HasPrefix(cli.DaemonHost(), "unix://") {
		t.Skipf("the Docker engine is at %s, not a unix socket the proxy can forward to", cli.DaemonHost())
	}
	proxy := newDropProxy(t, sock)
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "docker steps", map[string]string{
		".gitignore": ".pipeline/\n",
		"pipeline.hcl": `pipeline "outage" {
  version = "1.0.${git.commit_count}"
  image   = "` + testenv.TestImage + `"
}

build "app" {
  step "one" { run = "sleep 1; echo one" }
  step "two" { run = "sleep 1; echo two" }
}

test "unit" {
  step "three" { run = "sleep 1; echo three" }
  step "four" { run = "sleep 1; echo four" }
}

environment "internal" {
  step "rollout" { run = "sleep 1; echo deployed" }
}
`})
	env := append(os.Environ(), "DOCKER_HOST=unix://"+proxy.l.Addr().String(), "NO_COLOR=1", "PIPELINE_STATE_RETRY=5s")
	pipeline := func(args ...string) (int, string) {
		cmd := exec.Command(clitest.Binary(t), args...)
		cmd.Dir, cmd.Env = dir, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out.String()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Cut the engine off once the run talks to it and its first
		// containers run.
		for deadline := time.Now().Add(60 * time.Second); proxy.accepted.Load() == 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(800 * time.Millisecond)
		proxy.drop()
		time.Sleep(1500 * time.Millisecond)
		proxy.restore()
	}()
	code, out := pipeline("run", "--plain")
	wg.Wait()
	t.Logf("run through the outage (%d connections cut or refused) exited %d:\n%s", proxy.dropped.Load(), code, out)
	if proxy.dropped.Load() == 0 {
		t.Fatalf("the outage cut no connection: the run did not talk to Docker during it")
	}
	if code != 0 && code != 1 {
		t.Errorf("run through a Docker API outage exited %d; want 0 or 1", code)
	}
	if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
		t.Errorf("run output shows a Go panic:\n%s", out)
	}
	if code == 1 && !strings.Contains(strings.ToLower(out), "docker") {
		t.Errorf("the failed run does not say Docker failed:\n%s", out)
	}
	id := ""
	if f := strings.Fields(out); len(f) > 1 && f[0] == "run" {
		id = f[1]
	}
	if code, out := pipeline("state", "check", "--final", "--logs"); code != 0 {
		t.Errorf("state check after the outage exited %d:\n%s", code, out)
	}
	// A create request cut by the outage may still complete inside the
	// engine after the run ended, even after a first gc listed the
	// containers; a later gc must remove it. Up to three gc runs, a second
	// apart.
	var left []container.Summary
	for try := range 3 {
		if code, out := pipeline("gc"); code != 0 {
			t.Errorf("gc after the outage exited %d:\n%s", code, out)
		}
		var err error
		left, err = cli.ContainerList(t.Context(), container.ListOptions{All: true,
			Filters: filters.NewArgs(filters.Arg("label", runners.LabelRun+"="+id))})
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		t.Logf("gc #%d left %d containers of run %s (%s, %s); trying again", try+1, len(left), id, left[0].State, left[0].Status)
		time.Sleep(time.Second)
	}
	if id == "" || len(left) > 0 {
		t.Errorf("run %q left %d containers after three gc runs", id, len(left))
	}
}
