package history_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/history"
	"github.com/pipeline-cd/pipeline/engine/state"

	// Registers the -update flag that go test ./... -update passes to every package.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func dep(id, rel, status string, startMin, endMin int) *state.Deployment {
	d := &state.Deployment{ID: id, ReleaseID: rel, Version: "v" + rel, Status: status, StartedAt: t0.Add(time.Duration(startMin) * time.Minute)}
	if endMin >= 0 {
		d.FinishedAt = t0.Add(time.Duration(endMin) * time.Minute)
	}
	return d
}

// newestFirst reverses deps given oldest first, as the store returns them.
func newestFirst(deps ...*state.Deployment) []*state.Deployment {
	out := make([]*state.Deployment, len(deps))
	for i, d := range deps {
		out[len(deps)-1-i] = d
	}
	return out
}

func TestAt(t *testing.T) {
	// 1 live from 10:01; 2 from 10:11; 3 failed at 10:21; rolled back to 1
	// at 10:31; 3' (release 4) deployed at 10:41, still running from 10:50.
	deps := newestFirst(
		dep("d1", "1", state.StatusSucceeded, 0, 1),
		dep("d2", "2", state.StatusSucceeded, 10, 11),
		dep("d3", "3", state.StatusFailed, 20, 21),
		dep("d4", "1", state.StatusSucceeded, 30, 31),
		dep("d5", "4", state.StatusSucceeded, 40, 41),
		dep("d6", "4", state.StatusSucceeded, 45, 46),
		dep("d7", "5", state.StatusRunning, 50, -1),
	)
	tests := []struct {
		min                  int
		wantDep, wantPrev    string
		wantSince, wantUntil int
	}{
		{5, "d1", "", 1, 11},
		{11, "d2", "d1", 11, 31},
		{25, "d2", "d1", 11, 31}, // the failed deployment changed nothing
		{35, "d4", "d2", 31, 41}, // the rollback: 1 live again, 2 before it
		{47, "d5", "d4", 41, -1}, // a redeploy of 4 keeps its first deployment
		{55, "d5", "d4", 41, -1}, // a running deployment is not live yet
	}
	for _, tt := range tests {
		at := t0.Add(time.Duration(tt.min) * time.Minute)
		m, err := history.At(deps, at)
		if err != nil {
			t.Fatalf("At(10:%02d) = %v", tt.min, err)
		}
		prev := ""
		if m.Previous != nil {
			prev = m.Previous.ID
		}
		until := -1
		if !m.Until.IsZero() {
			until = int(m.Until.Sub(t0) / time.Minute)
		}
		since := int(m.Since.Sub(t0) / time.Minute)
		if m.Deployment.ID != tt.wantDep || prev != tt.wantPrev || since != tt.wantSince || until != tt.wantUntil {
			t.Errorf("At(10:%02d) = %s (prev %q) since +%d until +%d; want %s (prev %q) since +%d until +%d",
				tt.min, m.Deployment.ID, prev, since, until, tt.wantDep, tt.wantPrev, tt.wantSince, tt.wantUntil)
		}
	}
	if _, err := history.At(deps, t0); !errors.Is(err, history.ErrNothingLive) || !strings.Contains(err.Error(), "v1") {
		t.Errorf("At(before the first deployment) = %v; want ErrNothingLive naming v1", err)
	}
}

func TestRollbackTargetNamesWhatExists(t *testing.T) {
	deps := newestFirst(dep("d1", "2", state.StatusFailed, 0, 1), dep("d2", "1", state.StatusSucceeded, 10, 11))
	_, _, err := history.RollbackTarget(deps)
	if !errors.Is(err, history.ErrNoRollbackTarget) {
		t.Fatalf("RollbackTarget = %v; want ErrNoRollbackTarget", err)
	}
	for _, want := range []string{"v2 failed", "v1 succeeded (live)", "--to VERSION"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("RollbackTarget error %q does not say %q", err, want)
		}
	}
	if _, _, err := history.RollbackTarget(nil); !errors.Is(err, history.ErrNoRollbackTarget) || !strings.Contains(err.Error(), "nothing was deployed") {
		t.Errorf("RollbackTarget(nil) = %v; want ErrNoRollbackTarget saying nothing was deployed", err)
	}
}

func TestPaths(t *testing.T) {
	tests := []struct {
		component string
		declared  []string
		want      string
	}{
		{".", nil, ""},
		{"", nil, ""},
		{"api", nil, "api"},
		{"services/api", []string{"../../shared", "proto"}, "services/api,services/api/proto,shared"},
		{"api", []string{"../../outside"}, "api"},
		{"api", []string{".."}, ""},
	}
	for _, tt := range tests {
		if got := strings.Join(history.Paths(tt.component, tt.declared), ","); got != tt.want {
			t.Errorf("Paths(%q, %q) = %q; want %q", tt.component, tt.declared, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-12-04T10:30:00Z", time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC)},
		{"2026-12-04T11:30:00+01:00", time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC)},
		{"2026-12-04 10:30", time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC)},
		{"2026-12-04", time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)},
		{"now", now},
		{"2h ago", now.Add(-2 * time.Hour)},
		{"90m ago", now.Add(-90 * time.Minute)},
		{"1d12h ago", now.Add(-36 * time.Hour)},
	}
	for _, tt := range tests {
		got, err := history.ParseTime(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"yesterday", "2h", "-2h ago", "x ago"} {
		if _, err := history.ParseTime(bad, now); err == nil {
			t.Errorf("ParseTime(%q) = nil error; want one", bad)
		}
	}
}

func TestSettled(t *testing.T) {
	deps := newestFirst(dep("d1", "1", state.StatusSucceeded, 0, 1), dep("d2", "2", state.StatusFailed, 10, 11), dep("d3", "3", state.StatusRunning, 20, -1))
	if got := history.Settled(deps); got == nil || got.ID != "d2" {
		t.Errorf("Settled = %v; want d2, the failed deployment that finished last", got)
	}
	if got := history.Live(deps); got == nil || got.ID != "d1" {
		t.Errorf("Live = %v; want d1", got)
	}
	if got := history.Settled(newestFirst(dep("d3", "3", state.StatusRunning, 20, -1))); got != nil {
		t.Errorf("Settled(only running) = %v; want nil", got)
	}
}
