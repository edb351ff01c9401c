package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/view"
)

// TestStatusShowsExpiredGates reads a run waiting at two gates of
// production, one of them past its timeout: status shows that one as
// expired (in the text and in --json, without an approve command) and
// only the other as waiting.
func TestStatusShowsExpiredGates(t *testing.T) {
	db := seedGates(t)
	code, stdout, stderr := runCLI(t, "status", "--all", "--state", db, "-C", t.TempDir())
	if code != 0 {
		t.Fatalf("status --all exited %d; stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "go (run r-gates), old (run r-gates) expired ") {
		t.Errorf("status --all = %q; want go waiting and old expired", stdout)
	}
	code, stdout, stderr = runCLI(t, "status", "--all", "--json", "--state", db, "-C", t.TempDir())
	if code != 0 {
		t.Fatalf("status --all --json exited %d; stderr %q", code, stderr)
	}
	var st view.Status
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("decoding %q: %v", stdout, err)
	}
	var waiting, expired []string
	for _, p := range st.Pipelines {
		for _, env := range p.Environments {
			for _, g := range env.Waiting {
				waiting = append(waiting, g.Gate+" "+g.Status)
			}
			for _, g := range env.Expired {
				expired = append(expired, g.Gate+" "+g.Status+" "+g.ApproveCommand)
			}
		}
	}
	if got, want := strings.Join(waiting, ","), "go waiting"; got != want {
		t.Errorf("status --json waiting = %q; want %q", got, want)
	}
	if got, want := strings.Join(expired, ","), "old expired "; got != want {
		t.Errorf("status --json expired = %q; want %q", got, want)
	}
}
