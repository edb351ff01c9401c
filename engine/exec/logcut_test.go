package exec_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/engine/ui"
	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners/runnertest"
)

// checkCut checks a stored log of lines "line N" cut to limit: the head and
// the tail each within half the limit, in order, with a note between them
// naming what was cut, and the very first and last lines kept.
func checkCut(t *testing.T, lines []state.LogLine, total int, limit int64) {
	t.Helper()
	if len(lines) < 3 {
		t.Fatalf("stored log has %d lines; want a head, a note and a tail", len(lines))
	}
	note := -1
	var head, tail int64
	for i, l := range lines {
		if strings.HasPrefix(l.Text, "[pipeline] ") {
			if note >= 0 {
				t.Fatalf("two cut notes, at %d and %d", note, i)
			}
			note = i
			continue
		}
		if note < 0 {
			head += int64(len(l.Text)) + 1
		} else {
			tail += int64(len(l.Text)) + 1
		}
		if l.Seq != int64(i) {
			t.Fatalf("stored line %d has seq %d; want %d (no gap, for pipeline state check)", i, l.Seq, i)
		}
	}
	if note < 0 {
		t.Fatalf("stored log of %d lines has no cut note", len(lines))
	}
	kept := len(lines) - 1
	cut := total - kept
	if want := fmt.Sprintf("[pipeline] %d lines", cut); !strings.HasPrefix(lines[note].Text, want) {
		t.Errorf("cut note = %q; want it to start %q", lines[note].Text, want)
	}
	if head > limit/2 || tail > limit/2 || head < limit/2-200 || tail < limit/2-200 {
		t.Errorf("head %d bytes, tail %d bytes; want each just under %d", head, tail, limit/2)
	}
	if lines[0].Text != "line 1" || lines[len(lines)-1].Text != fmt.Sprintf("line %d", total) {
		t.Errorf("first and last stored lines = %q, %q; want line 1 and line %d", lines[0].Text, lines[len(lines)-1].Text, total)
	}
}

func TestLogLimitKeepsHeadAndTail(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "p" {
  image = "alpine"
}
build "b" {
  step "loud" {
    run    = "i=1; while [ $i -le 3000 ]; do echo line $i; i=$((i+1)); done"
  }
}
`)
	opts := f.options()
	opts.LogLimit = 4 << 10
	res := run(t, p, opts)
	if res.Status != exec.StatusSucceeded {
		t.Fatalf("status = %s", res.Status)
	}
	lines, err := f.store.Logs(context.Background(), f.runID, "build.b.loud")
	if err != nil {
		t.Fatal(err)
	}
	checkCut(t, lines, 3000, opts.LogLimit)
	if got := strings.Count(f.out.String(), "[build.b.loud] line "); got != 3000 {
		t.Errorf("terminal lines = %d; want all 3000", got)
	}
}

func TestLogLimitNone(t *testing.T) {
	f := newFixture(t)
	p := loadPlan(t, `
pipeline "p" {
  image = "alpine"
}
build "b" {
  step "loud" {
    run    = "i=1; while [ $i -le 500 ]; do echo line $i; i=$((i+1)); done"
  }
}
`)
	opts := f.options()
	opts.LogLimit = -1
	run(t, p, opts)
	lines, err := f.store.Logs(context.Background(), f.runID, "build.b.loud")
	if err != nil || len(lines) != 500 {
		t.Errorf("stored lines with no limit = %d, %v; want 500", len(lines), err)
	}
}

// TestDockerHugeOutputCut runs a step printing about 4 MB in a container,
// recorded in a real SQLite store with a 1 MiB limit.
func TestDockerHugeOutputCut(t *testing.T) {
	f, _ := dockerFixture(t)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateRun(context.Background(), runRecord(f.runID)); err != nil {
		t.Fatal(err)
	}
	const total = 200000
	p := loadPlan(t, `
pipeline "d" {
  image = "`+testenv.TestImage+`"
}
build "app" {
  step "huge" {
    run = "seq 1 `+fmt.Sprint(total)+` | sed 's/^/line /'"
  }
}
`)
	opts := f.options()
	opts.Store = st
	opts.LogLimit = 1 << 20
	var out runnertest.Buffer
	opts.Output = ui.NewPlain(&out)
	res := run(t, p, opts)
	if res.Status != exec.StatusSucceeded {
		t.Fatalf("status = %s (%s)", res.Status, res.Nodes["build.app.huge"].Reason)
	}
	var lines []state.LogLine
	if err := st.StreamLogs(context.Background(), f.runID, "build.app.huge", func(l state.LogLine) error {
		lines = append(lines, l)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	checkCut(t, lines, total, opts.LogLimit)
	if got := strings.Count(out.String(), "\n"); got < total {
		t.Errorf("terminal lines = %d; want at least %d", got, total)
	}
}
