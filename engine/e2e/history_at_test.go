package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/view"
)

// TestHistoryAt asks history --at which release was live in prod at each
// moment of a story: release 1 deployed, release 2 deployed, a rollback to
// 1, and 2 deployed again. Each answer names the release, since when and
// until when, the release before it, and the commits it carried compared
// with that one (after the rollback: the commits it went back on).
func TestHistoryAt(t *testing.T) {
	r := newRepo(t)
	_, c1, c2 := releasesWithScripts(t, r)
	r.must(0, nil, "rollback", "prod", "--runner", "local", "--plain")
	r.must(0, nil, "deploy", "prod", "--release", "1.0.2", "--runner", "local", "--plain")

	h := decode[view.History](t, r.must(0, nil, "history", "--env", "prod", "--json").stdout)
	if len(h.Deployments) != 4 {
		t.Fatalf("history has %d deployments; want 4", len(h.Deployments))
	}
	// Oldest first: run 1.0.1, run 1.0.2, rollback 1.0.1, deploy 1.0.2.
	var done []time.Time
	for i := len(h.Deployments) - 1; i >= 0; i-- {
		done = append(done, *h.Deployments[i].FinishedAt)
	}
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	type want struct {
		live, kind, prev string
		since, until     int // index into done; -1: none
		added, removed   []string
	}
	tests := []struct {
		at   time.Time
		want want
	}{
		{done[0], want{"1.0.1", "run", "", 0, 1, []string{c1}, nil}},
		{done[1].Add(-time.Nanosecond), want{"1.0.1", "run", "", 0, 1, []string{c1}, nil}},
		{done[1], want{"1.0.2", "run", "1.0.1", 1, 2, []string{c2}, nil}},
		{done[2], want{"1.0.1", "rollback", "1.0.2", 2, 3, nil, []string{c2}}},
		{done[3], want{"1.0.2", "promote", "1.0.1", 3, -1, []string{c2}, nil}},
	}
	for i, tt := range tests {
		got := decode[view.LiveAt](t, r.must(0, nil, "history", "--env", "prod", "--at", stamp(tt.at), "--json").stdout)
		prev := ""
		if got.Previous != nil {
			prev = got.Previous.Version
		}
		shas := func(cs []view.Commit) string {
			var s []string
			for _, c := range cs {
				s = append(s, c.SHA)
			}
			return strings.Join(s, ",")
		}
		until := got.Live.Until != nil
		if got.Live.Version != tt.want.live || got.Live.Kind != tt.want.kind || prev != tt.want.prev ||
			!got.Live.Since.Equal(done[tt.want.since]) || until != (tt.want.until >= 0) ||
			(until && !got.Live.Until.Equal(done[tt.want.until])) ||
			shas(got.Added) != strings.Join(tt.want.added, ",") || shas(got.Removed) != strings.Join(tt.want.removed, ",") {
			t.Errorf("moment %d: history --at %s = %+v (previous %q, added %s, removed %s); want %+v", i, stamp(tt.at), got.Live, prev,
				shas(got.Added), shas(got.Removed), tt.want)
		}
	}

	text := r.must(0, nil, "history", "--env", "prod", "--at", stamp(done[2])).stdout
	for _, want := range []string{"prod ran release 1.0.1", "rollback deployment", "before it: release 1.0.2", "(gone back on): 1", "release 2 changes deploy.sh"} {
		if !strings.Contains(text, want) {
			t.Errorf("history --at (text) does not say %q:\n%s", want, text)
		}
	}
	now := decode[view.LiveAt](t, r.must(0, nil, "history", "--env", "prod", "--at", "now", "--json").stdout)
	if now.Live.Version != "1.0.2" || now.Live.Until != nil {
		t.Errorf("history --at now = %+v; want 1.0.2, still live", now.Live)
	}
	before := r.must(1, nil, "history", "--env", "prod", "--at", stamp(done[0].Add(-time.Second)))
	if !strings.Contains(before.stderr, "no release was live") || !strings.Contains(before.stderr, "1.0.1") {
		t.Errorf("history --at before the first deployment: stderr %q does not say nothing was live and name 1.0.1", before.stderr)
	}
	if bad := r.must(2, nil, "history", "--env", "prod", "--at", "yesterday"); !strings.Contains(bad.stderr, "2h ago") {
		t.Errorf("history --at yesterday: stderr %q does not show the accepted forms", bad.stderr)
	}
	if bad := r.must(2, nil, "history", "--at", "now"); !strings.Contains(bad.stderr, "--env") {
		t.Errorf("history --at without --env: stderr %q does not ask for --env", bad.stderr)
	}
}
