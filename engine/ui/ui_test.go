package ui

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/runners/runnertest"
	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0.0s"},
		{-time.Second, "0.0s"},
		{1234 * time.Millisecond, "1.2s"},
		{59 * time.Second, "59.0s"},
		{125 * time.Second, "2m5s"},
	}
	for _, tt := range tests {
		t.Run(tt.in.String(), func(t *testing.T) {
			if got := FormatDuration(tt.in); got != tt.want {
				t.Errorf("FormatDuration(%v) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPlainEvents(t *testing.T) {
	tests := []struct {
		name string
		e    Event
		want string
	}{
		{"started", Event{Kind: NodeStarted, Node: "build.webapp.compile", Attempt: 1, MaxAttempts: 1}, "▶ build.webapp.compile\n"},
		{"started retry", Event{Kind: NodeStarted, Node: "test.unit.go", Attempt: 2, MaxAttempts: 3}, "▶ test.unit.go (attempt 2 of 3)\n"},
		{"output", Event{Kind: NodeOutput, Node: "build.webapp.compile", Line: "ok  ./..."}, "[build.webapp.compile] ok  ./...\n"},
		{"succeeded", Event{Kind: NodeFinished, Node: "build.webapp.compile", Status: StatusSucceeded, Duration: 1200 * time.Millisecond, Attempt: 1, MaxAttempts: 1}, "✓ build.webapp.compile (1.2s)\n"},
		{"first-try success with retries", Event{Kind: NodeFinished, Node: "test.unit.go", Status: StatusSucceeded, Duration: 1200 * time.Millisecond, Attempt: 1, MaxAttempts: 2}, "✓ test.unit.go (1.2s)\n"},
		{"success on a retry", Event{Kind: NodeFinished, Node: "test.unit.go", Status: StatusSucceeded, Duration: 1200 * time.Millisecond, Attempt: 2, MaxAttempts: 2}, "✓ test.unit.go (1.2s) [attempt 2 of 2]\n"},
		{"failed exit", Event{Kind: NodeFinished, Node: "test.unit.vet", Status: StatusFailed, ExitCode: 2, Duration: 300 * time.Millisecond, Attempt: 1, MaxAttempts: 1}, "✗ test.unit.vet (0.3s) exit 2\n"},
		{"timed out", Event{Kind: NodeFinished, Node: "test.unit.go", Status: StatusTimedOut, Reason: "timed out after 1s", Duration: time.Second, Attempt: 2, MaxAttempts: 2}, "✗ test.unit.go (1.0s) timed out after 1s [attempt 2 of 2]\n"},
		{"skipped", Event{Kind: NodeSkipped, Node: "package.webapp.tar", Status: StatusSkipped, Reason: "skipped: build.webapp.compile failed"}, "○ package.webapp.tar (skipped: build.webapp.compile failed)\n"},
		{"when false", Event{Kind: NodeSkipped, Node: "build.x.y", Status: StatusSkipped, Reason: "when condition is false: var.on"}, "○ build.x.y (skipped: when condition is false: var.on)\n"},
		{"retrying", Event{Kind: NodeRetrying, Node: "test.unit.go", Status: StatusFailed, ExitCode: 1, Attempt: 1, MaxAttempts: 2}, "↻ test.unit.go attempt 1 of 2 failed (exit 1); retrying\n"},
		{"stopped", Event{Kind: NodeFinished, Node: "environment.production.gate.go-live", Status: StatusStopped, Reason: "waiting for approval"}, "■ environment.production.gate.go-live (0.0s) stopped: waiting for approval\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := NewPlain(&buf)
			p.Event(tt.e)
			p.Event(Event{Kind: RunFinished}) // writes what waits
			if got := buf.String(); got != tt.want {
				t.Errorf("Plain.Event(%+v) wrote %q; want %q", tt.e, got, tt.want)
			}
		})
	}
}

// TestPlainConcurrentLines checks that lines from concurrent nodes are
// never interleaved within a line.
func TestPlainConcurrentLines(t *testing.T) {
	var buf bytes.Buffer
	s := NewPlain(&buf)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				s.Event(Event{Kind: NodeOutput, Node: fmt.Sprintf("n%d", i), Line: fmt.Sprintf("line %d of n%d", j, i)})
			}
		}()
	}
	wg.Wait()
	s.Event(Event{Kind: RunFinished})
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("got %d lines; want 400", len(lines))
	}
	for _, l := range lines {
		var n1, j, n2 int
		if _, err := fmt.Sscanf(l, "[n%d] line %d of n%d", &n1, &j, &n2); err != nil || n1 != n2 {
			t.Errorf("line %q is garbled (err %v)", l, err)
		}
	}
}

func testSummary() Summary {
	return Summary{
		Status: StatusFailed,
		Nodes: []SummaryNode{
			{ID: "build.webapp.compile", Kind: "step", Status: StatusSucceeded, Attempts: 1, Duration: 1200 * time.Millisecond},
			{ID: "test.unit.vet", Kind: "step", Status: StatusFailed, Attempts: 2, ExitCode: 2, Duration: 2 * time.Second},
			{ID: "package.webapp.tar", Kind: "step", Status: StatusSkipped, Reason: "skipped: test.unit.vet failed"},
		},
		CriticalPath: []string{"build.webapp.compile", "test.unit.vet"},
		Wall:         3300 * time.Millisecond,
	}
}

func TestWriteSummary(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, testSummary()); err != nil {
		t.Fatalf("WriteSummary: %v", err)
	}
	want := "" +
		"NODE                    STATUS     DURATION  ATTEMPTS  DETAIL\n" +
		"✓ build.webapp.compile  succeeded  1.2s      1         \n" +
		"✗ test.unit.vet         failed     2.0s      2         exit 2\n" +
		"○ package.webapp.tar    skipped    -         -         skipped: test.unit.vet failed\n" +
		"\n" +
		"critical path (3.2s): build.webapp.compile → test.unit.vet\n" +
		"wall time: 3.3s  run failed\n"
	if got := buf.String(); got != want {
		t.Errorf("WriteSummary() =\n%s\nwant\n%s", got, want)
	}
}

func TestPlainRunFinishedWritesSummary(t *testing.T) {
	var buf bytes.Buffer
	s := testSummary()
	NewPlain(&buf).Event(Event{Kind: RunFinished, Summary: &s})
	var want bytes.Buffer
	want.WriteString("\n")
	if err := WriteSummary(&want, s); err != nil {
		t.Fatal(err)
	}
	if buf.String() != want.String() {
		t.Errorf("Plain RunFinished wrote %q; want %q", buf.String(), want.String())
	}
}

func TestLiveRegion(t *testing.T) {
	var buf bytes.Buffer
	now := t0
	l := newLive(&buf, 40, time.Hour, func() time.Time { return now })
	l.Event(Event{Kind: NodeStarted, Node: "build.a", Time: t0, Attempt: 1, MaxAttempts: 1})
	l.Event(Event{Kind: NodeStarted, Node: "build.b", Time: t0, Attempt: 2, MaxAttempts: 2})
	for i := 1; i <= 5; i++ {
		l.Event(Event{Kind: NodeOutput, Node: "build.a", Line: fmt.Sprintf("a line %d", i)})
	}
	l.Event(Event{Kind: NodeOutput, Node: "build.b", Line: strings.Repeat("x", 100)})
	now = t0.Add(2500 * time.Millisecond)
	l.mu.Lock()
	l.redraw()
	l.mu.Unlock()
	first := buf.String()
	want := "" +
		"⠿ build.a  2.5s\n" +
		"    a line 3\n" +
		"    a line 4\n" +
		"    a line 5\n" +
		"⠿ build.b  2.5s  (attempt 2 of 2)\n" +
		"    " + strings.Repeat("x", 35) + "…\n"
	if first != want {
		t.Errorf("first redraw = %q; want %q", first, want)
	}

	buf.Reset()
	l.Event(Event{Kind: NodeFinished, Node: "build.a", Status: StatusFailed, ExitCode: 1, Duration: 2500 * time.Millisecond, Attempt: 1, MaxAttempts: 1})
	l.mu.Lock()
	l.redraw()
	l.mu.Unlock()
	second := buf.String()
	if !strings.HasPrefix(second, "\x1b[6F\x1b[J✗ build.a (2.5s) exit 1\n") {
		t.Errorf("second redraw = %q; want it to erase 6 lines and print the failure first", second)
	}
	for i := 1; i <= 5; i++ {
		if want := fmt.Sprintf("    │ a line %d\n", i); !strings.Contains(second, want) {
			t.Errorf("second redraw = %q; want the failed node's output %q", second, want)
		}
	}
	if strings.Contains(second, "⠿ build.a") || !strings.Contains(second, "⠿ build.b") {
		t.Errorf("second redraw = %q; want only build.b running", second)
	}
	if l.drawn != 2 {
		t.Errorf("region height = %d; want 2", l.drawn)
	}
}

func TestLiveRunFinished(t *testing.T) {
	var buf runnertest.Buffer
	l := newLive(&buf, 80, 5*time.Millisecond, time.Now)
	l.Event(Event{Kind: NodeStarted, Node: "build.a", Time: time.Now(), Attempt: 1, MaxAttempts: 1})
	l.Event(Event{Kind: NodeOutput, Node: "build.a", Line: "hello"})
	time.Sleep(30 * time.Millisecond)
	l.Event(Event{Kind: NodeFinished, Node: "build.a", Status: StatusSucceeded, Attempt: 1, MaxAttempts: 1})
	s := testSummary()
	l.Event(Event{Kind: RunFinished, Summary: &s})
	l.Event(Event{Kind: NodeOutput, Node: "build.a", Line: "after the end"})
	out := buf.String()
	for _, want := range []string{"⠿ build.a", "    hello\n", "✓ build.a (0.0s)\n", "critical path (3.2s)", "wall time: 3.3s  run failed\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("live output %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, "after the end") {
		t.Errorf("live output %q shows an event sent after RunFinished", out)
	}
	if !strings.HasSuffix(out, "wall time: 3.3s  run failed\n") {
		t.Errorf("live output %q does not end with the summary", out)
	}
}

func TestLiveCutDropsControlCharacters(t *testing.T) {
	l := newLive(&bytes.Buffer{}, 20, time.Hour, time.Now)
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\rb\x1b[2Jc", "ab[2Jc"},
		{"tab\there", "tab here"},
		{strings.Repeat("é", 30), strings.Repeat("é", 19) + "…"},
	}
	for _, tt := range tests {
		if got := l.cut(tt.in); got != tt.want {
			t.Errorf("cut(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestAuto(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, plain := range []bool{false, true} {
		if _, ok := Auto(w, plain).(*Plain); !ok {
			t.Errorf("Auto(pipe, %v) is not Plain; want Plain for a non-terminal", plain)
		}
	}
}

// blockingWriter blocks every Write until release is closed.
type blockingWriter struct {
	release chan struct{}
	writes  chan struct{}
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	select {
	case w.writes <- struct{}{}:
	default:
	}
	<-w.release
	return len(p), nil
}

// TestLiveSlowTerminalNeverBlocksOutput stalls the terminal and checks that
// a step's output events still go through at once.
func TestLiveSlowTerminalNeverBlocksOutput(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{}), writes: make(chan struct{}, 1)}
	l := newLive(w, 80, time.Millisecond, time.Now)
	l.Event(Event{Kind: NodeStarted, Node: "build.a"})
	select {
	case <-w.writes: // the redraw goroutine is now stuck in Write
	case <-time.After(5 * time.Second):
		t.Fatal("the live view did not draw within 5s")
	}
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100000; i++ {
			l.Event(Event{Kind: NodeOutput, Node: "build.a", Line: "output"})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("100000 output events did not go through within 5s while the terminal was stalled")
	}
	close(w.release)
	l.Event(Event{Kind: RunFinished})
}

// TestPlainBatchesOutput checks that output lines are written in batches
// that a status line flushes first, and that a lone line is written within
// plainDelay without any further event.
func TestPlainBatchesOutput(t *testing.T) {
	w := &countingWriter{}
	p := NewPlain(w)
	for i := 0; i < 1000; i++ {
		p.Event(Event{Kind: NodeOutput, Node: "a", Line: "some output"})
	}
	p.Event(Event{Kind: NodeFinished, Node: "a", Status: StatusSucceeded})
	text, writes := w.get()
	if writes > 3 {
		t.Errorf("1000 output lines and a status line took %d writes; want at most 3", writes)
	}
	if !strings.HasSuffix(text, "✓ a (0.0s)\n") || strings.Count(text, "[a] some output\n") != 1000 {
		t.Errorf("output = %d bytes ending %q; want 1000 lines then the status line", len(text), text[len(text)-20:])
	}
	p.Event(Event{Kind: NodeOutput, Node: "b", Line: "late"})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if text, _ := w.get(); strings.HasSuffix(text, "[b] late\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a lone output line was not written within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type countingWriter struct {
	mu     sync.Mutex
	b      strings.Builder
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return w.b.Write(p)
}

func (w *countingWriter) get() (string, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String(), w.writes
}
