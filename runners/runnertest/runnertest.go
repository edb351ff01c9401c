// Package runnertest is a conformance suite for runners.Runner
// implementations, in the manner of testing/fstest.TestFS. Only tests
// import it.
package runnertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/runners"
)

// Options tune the suite to the runner under test.
type Options struct {
	// Image is set on every step; the Docker runner needs one that has a
	// POSIX shell, echo, printf, cat, pwd and sleep.
	Image string
	// DryRun says the runner runs nothing: the suite then checks only that
	// valid steps succeed with exit code 0 and no output, that invalid steps
	// and done contexts are refused, and skips the checks that need a real
	// process.
	DryRun bool
	// StopWithin is how long a step may take to stop once its timeout
	// elapsed or its context was cancelled; 0 means 5s. Set it above the
	// runner's stop grace period.
	StopWithin time.Duration
}

// Run runs the conformance suite as subtests of t. newRunner is called once
// per subtest and may register cleanups on the t it gets.
func Run(t *testing.T, newRunner func(t *testing.T) runners.Runner, opts Options) {
	if opts.StopWithin <= 0 {
		opts.StopWithin = 5 * time.Second
	}
	s := &suite{newRunner: newRunner, opts: opts}
	t.Run("InvalidSteps", s.testInvalidSteps)
	t.Run("CanceledBeforeStart", s.testCanceledBeforeStart)
	if opts.DryRun {
		t.Run("DryRunSucceeds", s.testDryRunSucceeds)
		return
	}
	t.Run("ExitCodes", s.testExitCodes)
	t.Run("StdoutStderr", s.testStdoutStderr)
	t.Run("OutputOrder", s.testOutputOrder)
	t.Run("Env", s.testEnv)
	t.Run("Workdir", s.testWorkdir)
	t.Run("Command", s.testCommand)
	t.Run("Timeout", s.testTimeout)
	t.Run("Cancel", s.testCancel)
	t.Run("Concurrent", s.testConcurrent)
}

type suite struct {
	newRunner func(t *testing.T) runners.Runner
	opts      Options
}

// step returns a step for t with a fresh workspace.
func (s *suite) step(t *testing.T, script string) *runners.Step {
	return &runners.Step{
		ID:        strings.ReplaceAll(t.Name(), "/", "."),
		RunID:     "runnertest",
		Script:    script,
		Image:     s.opts.Image,
		Workspace: t.TempDir(),
	}
}

// run runs step with a generous deadline and returns its output.
func (s *suite) run(t *testing.T, r runners.Runner, step *runners.Step) (*runners.Result, string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr Buffer
	res, err := r.Run(ctx, step, &stdout, &stderr)
	return res, stdout.String(), stderr.String(), err
}

// mustRun runs step and fails t when Run returns an error.
func (s *suite) mustRun(t *testing.T, r runners.Runner, step *runners.Step) (*runners.Result, string, string) {
	t.Helper()
	res, stdout, stderr, err := s.run(t, r, step)
	if err != nil {
		t.Fatalf("Run(%q) error = %v; want nil (stdout %q, stderr %q)", step.Script, err, stdout, stderr)
	}
	if res == nil {
		t.Fatalf("Run(%q) = nil Result with nil error", step.Script)
	}
	return res, stdout, stderr
}

func (s *suite) testInvalidSteps(t *testing.T) {
	r := s.newRunner(t)
	tests := []struct {
		name string
		step *runners.Step
	}{
		{"nil", nil},
		{"neither script nor command", &runners.Step{ID: "x", Image: s.opts.Image, Workspace: t.TempDir()}},
		{"both script and command", &runners.Step{ID: "x", Script: "true", Command: []string{"true"}, Image: s.opts.Image, Workspace: t.TempDir()}},
		{"workdir outside workspace", &runners.Step{ID: "x", Script: "true", Workdir: "../..", Image: s.opts.Image, Workspace: t.TempDir()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := s.run(t, r, tt.step)
			if !errors.Is(err, runners.ErrInvalidStep) {
				t.Errorf("Run(%s) error = %v; want one wrapping ErrInvalidStep", tt.name, err)
			}
		})
	}
	t.Run("privileged not allowed", func(t *testing.T) {
		step := s.step(t, "true")
		step.Privileged = true
		_, _, _, err := s.run(t, r, step)
		if !errors.Is(err, runners.ErrPrivileged) {
			t.Errorf("Run(privileged step) error = %v; want one wrapping ErrPrivileged", err)
		}
	})
}

func (s *suite) testCanceledBeforeStart(t *testing.T) {
	r := s.newRunner(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout Buffer
	_, err := r.Run(ctx, s.step(t, "echo should-not-run"), &stdout, &stdout)
	if !errors.Is(err, runners.ErrCanceled) {
		t.Errorf("Run(cancelled context) error = %v; want one wrapping ErrCanceled", err)
	}
}

func (s *suite) testDryRunSucceeds(t *testing.T) {
	r := s.newRunner(t)
	for _, script := range []string{"exit 3", "echo hello"} {
		res, stdout, stderr := s.mustRun(t, r, s.step(t, script))
		if res.ExitCode != 0 || stdout != "" || stderr != "" {
			t.Errorf("dry Run(%q) = exit %d, stdout %q, stderr %q; want exit 0 and no output", script, res.ExitCode, stdout, stderr)
		}
	}
}

func (s *suite) testExitCodes(t *testing.T) {
	r := s.newRunner(t)
	for _, code := range []int{0, 1, 3, 42, 255} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			script := fmt.Sprintf("exit %d", code)
			res, _, _ := s.mustRun(t, r, s.step(t, script))
			if res.ExitCode != code {
				t.Errorf("Run(%q).ExitCode = %d; want %d", script, res.ExitCode, code)
			}
			if res.Started.IsZero() || res.Finished.Before(res.Started) {
				t.Errorf("Run(%q) times = %v..%v; want Started set and Finished not before it", script, res.Started, res.Finished)
			}
		})
	}
}

func (s *suite) testStdoutStderr(t *testing.T) {
	r := s.newRunner(t)
	script := "echo out1; echo err1 >&2; echo out2; echo err2 >&2; printf 'no newline'"
	_, stdout, stderr := s.mustRun(t, r, s.step(t, script))
	if want := "out1\nout2\nno newline"; stdout != want {
		t.Errorf("Run(%q) stdout = %q; want %q", script, stdout, want)
	}
	if want := "err1\nerr2\n"; stderr != want {
		t.Errorf("Run(%q) stderr = %q; want %q", script, stderr, want)
	}
}

func (s *suite) testOutputOrder(t *testing.T) {
	r := s.newRunner(t)
	const n = 500
	script := fmt.Sprintf("i=1; while [ $i -le %d ]; do echo line $i; i=$((i+1)); done", n)
	_, stdout, _ := s.mustRun(t, r, s.step(t, script))
	var want strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	if stdout != want.String() {
		t.Errorf("Run(%q) stdout has %d bytes, out of order or incomplete; want %d lines in order",
			script, len(stdout), n)
	}
}

func (s *suite) testEnv(t *testing.T) {
	r := s.newRunner(t)
	step := s.step(t, `printf '%s|%s|%s\n' "$GREETING" "$QUOTED" "${UNSET_VARIABLE_X:-unset}"`)
	step.Env = map[string]string{"GREETING": "hello world", "QUOTED": `it's "quoted" $HOME`}
	_, stdout, _ := s.mustRun(t, r, step)
	if want := "hello world|it's \"quoted\" $HOME|unset\n"; stdout != want {
		t.Errorf("Run with Env %q: stdout = %q; want %q", step.Env, stdout, want)
	}
}

func (s *suite) testWorkdir(t *testing.T) {
	r := s.newRunner(t)
	tests := []struct {
		workdir string
		content string
	}{
		{"", "at the root"},
		{"sub/dir", "in a subdirectory"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.workdir), func(t *testing.T) {
			step := s.step(t, "cat marker.txt")
			step.Workdir = tt.workdir
			dir := filepath.Join(step.Workspace, tt.workdir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "marker.txt"), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, stdout, stderr := s.mustRun(t, r, step)
			if stdout != tt.content {
				t.Errorf("Run(cat marker.txt) in workdir %q: stdout = %q, stderr %q; want %q", tt.workdir, stdout, stderr, tt.content)
			}
		})
	}
}

func (s *suite) testCommand(t *testing.T) {
	r := s.newRunner(t)
	step := s.step(t, "")
	step.Command = []string{"printf", "%s|%s\n", "two words", "$NOT_EXPANDED"}
	_, stdout, _ := s.mustRun(t, r, step)
	if want := "two words|$NOT_EXPANDED\n"; stdout != want {
		t.Errorf("Run(Command %q) stdout = %q; want %q", step.Command, stdout, want)
	}
	step = s.step(t, "")
	step.Command = []string{"pipeline-no-such-program"}
	if res, stdout, stderr, err := s.run(t, r, step); err == nil && (res == nil || res.ExitCode == 0) {
		t.Errorf("Run(Command %q) = %+v, nil (stdout %q, stderr %q); want an error or a non-zero exit code", step.Command, res, stdout, stderr)
	}
	step = s.step(t, "")
	step.Command = []string{"sh", "-c", "exit 7"}
	res, _, _ := s.mustRun(t, r, step)
	if res.ExitCode != 7 {
		t.Errorf("Run(Command %q).ExitCode = %d; want 7", step.Command, res.ExitCode)
	}
}

func (s *suite) testTimeout(t *testing.T) {
	r := s.newRunner(t)
	step := s.step(t, "echo before; sleep 30; echo after")
	step.Timeout = 500 * time.Millisecond
	start := time.Now()
	_, stdout, _, err := s.run(t, r, step)
	elapsed := time.Since(start)
	if !errors.Is(err, runners.ErrTimeout) {
		t.Errorf("Run(sleep 30) with timeout %s: error = %v; want one wrapping ErrTimeout", step.Timeout, err)
	}
	if errors.Is(err, runners.ErrCanceled) {
		t.Errorf("Run(sleep 30) timed out with error %v that also wraps ErrCanceled; want only ErrTimeout", err)
	}
	if limit := step.Timeout + s.opts.StopWithin; elapsed > limit {
		t.Errorf("Run(sleep 30) with timeout %s returned after %s; want within %s", step.Timeout, elapsed, limit)
	}
	if strings.Contains(stdout, "after") {
		t.Errorf("Run(sleep 30) with timeout: stdout = %q; the step was not stopped", stdout)
	}
}

func (s *suite) testCancel(t *testing.T) {
	r := s.newRunner(t)
	step := s.step(t, "echo started; sleep 30; echo after")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	stdout := &Buffer{OnWrite: func(b []byte) {
		if bytes.Contains(b, []byte("started")) {
			select {
			case <-started:
			default:
				close(started)
			}
		}
	}}
	type outcome struct {
		err  error
		when time.Time
	}
	done := make(chan outcome, 1)
	go func() {
		_, err := r.Run(ctx, step, stdout, &Buffer{})
		done <- outcome{err, time.Now()}
	}()
	select {
	case <-started:
	case o := <-done:
		t.Fatalf("Run(echo started; sleep 30) ended before cancellation: %v, stdout %q", o.err, stdout.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("Run(echo started; sleep 30) printed nothing within 30s")
	}
	canceledAt := time.Now()
	cancel()
	select {
	case o := <-done:
		if !errors.Is(o.err, runners.ErrCanceled) {
			t.Errorf("Run after cancel: error = %v; want one wrapping ErrCanceled", o.err)
		}
		if took := o.when.Sub(canceledAt); took > s.opts.StopWithin {
			t.Errorf("Run after cancel returned after %s; want within %s", took, s.opts.StopWithin)
		}
	case <-time.After(s.opts.StopWithin + 5*time.Second):
		t.Fatalf("Run did not return within %s of cancellation", s.opts.StopWithin+5*time.Second)
	}
}

func (s *suite) testConcurrent(t *testing.T) {
	r := s.newRunner(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	outs := make([]string, n)
	for i := range n {
		wg.Add(1)
		step := s.step(t, fmt.Sprintf("echo step $N; exit %d", i))
		step.ID = fmt.Sprintf("%s.%d", step.ID, i)
		step.Env = map[string]string{"N": fmt.Sprint(i)}
		go func() {
			defer wg.Done()
			res, stdout, _, err := s.run(t, r, step)
			if err == nil && res.ExitCode != i {
				err = fmt.Errorf("exit code %d; want %d", res.ExitCode, i)
			}
			errs[i], outs[i] = err, stdout
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("concurrent Run #%d: %v", i, errs[i])
		}
		if want := fmt.Sprintf("step %d\n", i); outs[i] != want {
			t.Errorf("concurrent Run #%d stdout = %q; want %q", i, outs[i], want)
		}
	}
}

// Buffer is an io.Writer safe for concurrent use that keeps everything
// written to it. OnWrite, when set, sees each write after it is stored.
type Buffer struct {
	OnWrite func(p []byte)

	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	b.mu.Unlock()
	if b.OnWrite != nil {
		b.OnWrite(p)
	}
	return n, err
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
