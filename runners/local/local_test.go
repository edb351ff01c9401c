package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/runnertest"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestConformance(t *testing.T) {
	runnertest.Run(t, func(t *testing.T) runners.Runner {
		return New(Options{StopGrace: time.Second}, hclog.NewNullLogger())
	}, runnertest.Options{StopWithin: 3 * time.Second})
}

func TestHostEnvironmentIsMinimal(t *testing.T) {
	t.Setenv("PIPELINE_TEST_LEAK", "should-not-be-seen")
	r := New(Options{}, nil)
	step := &runners.Step{ID: "env", Script: `echo "${PIPELINE_TEST_LEAK:-absent} ${PATH:+path-set} $OWN"`,
		Workspace: t.TempDir(), Env: map[string]string{"OWN": "mine"}}
	var out runnertest.Buffer
	if _, err := r.Run(context.Background(), step, &out, &out); err != nil {
		t.Fatal(err)
	}
	if want := "absent path-set mine\n"; out.String() != want {
		t.Errorf("Run(%q) = %q; want %q", step.Script, out.String(), want)
	}
}

func TestStopKillsProcessGroup(t *testing.T) {
	r := New(Options{StopGrace: 500 * time.Millisecond}, nil)
	ws := t.TempDir()
	// The background child ignores SIGTERM, so it is only gone if the whole
	// group got SIGKILL after the grace period.
	step := &runners.Step{ID: "group", Workspace: ws, Timeout: 300 * time.Millisecond,
		Script: `(trap '' TERM; sleep 30) & echo $! > child.pid; wait`}
	_, err := r.Run(context.Background(), step, nil, nil)
	if !errors.Is(err, runners.ErrTimeout) {
		t.Fatalf("Run(%q) = %v; want ErrTimeout", step.Script, err)
	}
	data, err := os.ReadFile(filepath.Join(ws, "child.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("background child %d of a timed-out step is still alive; want the process group killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running reports whether pid exists and is not a zombie waiting to be
// reaped by whatever adopted it.
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		step    runners.Step
		wantErr error
	}{
		{"privileged", Options{}, runners.Step{ID: "p", Script: "true", Privileged: true}, runners.ErrPrivileged},
		{"mounts", Options{AllowPrivileged: true}, runners.Step{ID: "m", Script: "true", Mounts: []string{"/a:/b"}}, runners.ErrInvalidStep},
		{"no workspace", Options{}, runners.Step{ID: "w", Script: "true"}, runners.ErrInvalidStep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step := tt.step
			if tt.name != "no workspace" {
				step.Workspace = t.TempDir()
			}
			_, err := New(tt.opts, nil).Run(context.Background(), &step, nil, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Run(%s) = %v; want %v", tt.name, err, tt.wantErr)
			}
		})
	}
}

func TestSignalExitCode(t *testing.T) {
	step := &runners.Step{ID: "sig", Script: "kill -KILL $$", Workspace: t.TempDir()}
	res, err := New(Options{}, nil).Run(context.Background(), step, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 128+int(syscall.SIGKILL) {
		t.Errorf("Run(%q).ExitCode = %d; want %d", step.Script, res.ExitCode, 128+int(syscall.SIGKILL))
	}
}
