// Package history answers questions about an environment's recorded
// deployments: which release is live, which was live at a given moment and
// since when, what a rollback would return to, and which commits of a
// component a deployment carried. Its functions over deployments are pure:
// they read the list they are given (newest first, as the state store
// returns it) and touch nothing else.
package history

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// ErrNoRollbackTarget reports an environment without an earlier
// successful release to roll back to.
var ErrNoRollbackTarget = errors.New("no rollback target")

// ErrNothingLive reports a moment at which no release was live.
var ErrNothingLive = errors.New("no release was live")

// Live returns the deployment that is live: of the successful ones, the
// one that finished last (deps newest first by start; a tie keeps the
// earlier one in deps). A deployment that started earlier but finished
// later (a run resumed after a crash) is the one live. It returns nil when
// none succeeded.
func Live(deps []*state.Deployment) *state.Deployment {
	var live *state.Deployment
	for _, d := range deps {
		if d.Status != state.StatusSucceeded {
			continue
		}
		if live == nil || d.FinishedAt.After(live.FinishedAt) {
			live = d
		}
	}
	return live
}

// Settled returns the deployment that finished last among deps (any
// status but running), or nil. When it succeeded, its release is live and
// nothing after it has touched the environment.
func Settled(deps []*state.Deployment) *state.Deployment {
	var last *state.Deployment
	for _, d := range deps {
		if d.Status == state.StatusRunning || d.FinishedAt.IsZero() {
			continue
		}
		if last == nil || d.FinishedAt.After(last.FinishedAt) {
			last = d
		}
	}
	return last
}

// Line replays deps (newest first) from the oldest and returns the line of
// releases that were live in turn, oldest first, each as its newest
// successful deployment. A successful deployment of a release already in
// the line (a rollback, or a promotion of an older release) cuts the line
// back to it: the releases after it were rolled away from.
func Line(deps []*state.Deployment) []*state.Deployment {
	var line []*state.Deployment
	for k := len(deps) - 1; k >= 0; k-- {
		d := deps[k]
		if d.Status != state.StatusSucceeded || d.ReleaseID == "" {
			continue
		}
		at := slices.IndexFunc(line, func(l *state.Deployment) bool { return l.ReleaseID == d.ReleaseID })
		if at >= 0 {
			line = line[:at]
		}
		line = append(line, d)
	}
	return line
}

// RollbackTarget picks, from an environment's deployments (newest first),
// the current deployment (the newest finished one) and the rollback target:
// the release that was live before the current one, as a deployment of it.
// A release that was rolled away from is never a target: once a rollback
// (or a promotion of an older release) puts release R live again, the
// releases deployed after R are out of the line, and the next target is
// the release that was live before R. Failed, cancelled and running
// deployments are never targets; when the current deployment failed, the
// target is the release live before it. Without a target it returns an
// error wrapping ErrNoRollbackTarget that names the releases deployed
// there and their status (see Summary).
func RollbackTarget(deps []*state.Deployment) (current, target *state.Deployment, err error) {
	i := 0
	for ; i < len(deps) && deps[i].Status == state.StatusRunning; i++ {
	}
	if i == len(deps) {
		if len(deps) > 0 {
			return nil, nil, fmt.Errorf("%w: only a running deployment (%s) is recorded there", ErrNoRollbackTarget, Summary(deps))
		}
		return nil, nil, fmt.Errorf("%w: nothing was deployed there yet", ErrNoRollbackTarget)
	}
	current = deps[i]
	live := Line(deps[i:])
	for j := len(live) - 1; j >= 0; j-- {
		if live[j].ReleaseID != current.ReleaseID {
			return current, live[j], nil
		}
	}
	return current, nil, fmt.Errorf("%w: no release was live there before %s (releases rolled back from are not targets); "+
		"deployed there: %s; name one that succeeded there with --to VERSION", ErrNoRollbackTarget, current.Version, Summary(deps))
}

// Summary lists the releases of deps (newest first) once each, newest
// first, with the status of their newest deployment and "live" for the
// live one: "1.0.4 failed, 1.0.3 succeeded (live), 1.0.1 succeeded".
func Summary(deps []*state.Deployment) string {
	live := Live(deps)
	seen := map[string]bool{}
	var parts []string
	for _, d := range deps {
		key := d.ReleaseID
		if key == "" {
			key = d.Version
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		p := d.Version + " " + d.Status
		if live != nil && live.ReleaseID == d.ReleaseID && live.Version == d.Version {
			p += " (live)"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// Moment is what was live in an environment at a moment.
type Moment struct {
	At time.Time
	// Deployment is the successful deployment that put the live release
	// in place: its first deployment of a run of consecutive successful
	// deployments of that release.
	Deployment *state.Deployment
	// Since is when that deployment finished.
	Since time.Time
	// Previous is the successful deployment of the release that was live
	// before it; nil for the first release there.
	Previous *state.Deployment
	// Until is when the next release went live after At; zero when it is
	// still live.
	Until time.Time
}

// At returns what was live at t among deps (newest first): the release
// of the successful deployment that finished last at or before t. A
// deployment still running at t does not count: the release before it
// served until it finished. Without one it returns an error wrapping
// ErrNothingLive that says when the first deployment finished.
func At(deps []*state.Deployment, t time.Time) (*Moment, error) {
	var ok []*state.Deployment
	for _, d := range deps {
		if d.Status == state.StatusSucceeded && !d.FinishedAt.IsZero() {
			ok = append(ok, d)
		}
	}
	// Oldest finished first; a stable sort keeps deps' order for ties.
	slices.Reverse(ok)
	sort.SliceStable(ok, func(i, j int) bool { return ok[i].FinishedAt.Before(ok[j].FinishedAt) })
	idx := -1
	for i, d := range ok {
		if !d.FinishedAt.After(t) {
			idx = i
		}
	}
	if idx < 0 {
		if len(ok) == 0 {
			return nil, fmt.Errorf("%w: no deployment there succeeded yet", ErrNothingLive)
		}
		return nil, fmt.Errorf("%w at %s: the first successful deployment there (%s) finished at %s",
			ErrNothingLive, t.UTC().Format(time.RFC3339), ok[0].Version, ok[0].FinishedAt.UTC().Format(time.RFC3339))
	}
	start := idx
	for start > 0 && same(ok[start-1], ok[idx]) {
		start--
	}
	m := &Moment{At: t, Deployment: ok[start], Since: ok[start].FinishedAt}
	if start > 0 {
		m.Previous = ok[start-1]
	}
	for _, d := range ok[idx+1:] {
		if !same(d, ok[idx]) {
			m.Until = d.FinishedAt
			break
		}
	}
	return m, nil
}

func same(a, b *state.Deployment) bool {
	if a.ReleaseID != "" || b.ReleaseID != "" {
		return a.ReleaseID == b.ReleaseID
	}
	return a.Version == b.Version
}
