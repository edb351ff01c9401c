package history

import (
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// Report answers "which release was live in an environment at a moment,
// since when, and which commits did it carry compared with the one
// before?".
type Report struct {
	Environment string
	At          time.Time
	Live        Entry
	// Previous is the release live before Live; nil for the first one.
	Previous *Entry
	// Added are the component's commits Live has and Previous has not,
	// newest first; Removed those Previous has and Live has not (Live
	// went back to an older release). Without Previous, Added is the
	// component's newest commits up to Live's, at most FirstLimit.
	Added, Removed []state.Commit
}

// Entry is one release as it was live in the environment.
type Entry struct {
	Version   string
	ReleaseID string
	Commit    string
	// Deployment is the deployment that put the release live, of kind
	// Kind (run, promote, rollback), in run RunID.
	Deployment string
	RunID      string
	Kind       string
	// Since is when that deployment finished; Until when the next
	// release went live (zero: still live, or, for a previous release,
	// when Live replaced it).
	Since, Until time.Time
}

// Git lists the commits of a component; see Commits.
type Git struct {
	Root  string
	Paths []string
}

// NewReport builds the report of m; commit maps a deployment to the
// commit of its release ("" when unknown). The commits come from git when
// g.Root is set and both commits are known, else from the commits recorded
// with the deployment that put the release live.
func NewReport(env string, m *Moment, commit func(*state.Deployment) string, g Git) (*Report, error) {
	r := &Report{Environment: env, At: m.At, Live: entry(m.Deployment, commit)}
	r.Live.Since, r.Live.Until = m.Since, m.Until
	if m.Previous != nil {
		p := entry(m.Previous, commit)
		p.Until = m.Since
		r.Previous = &p
	}
	switch {
	case g.Root != "" && r.Live.Commit != "" && r.Previous == nil:
		cs, err := Commits(g.Root, g.Paths, "", r.Live.Commit, FirstLimit)
		if err != nil {
			return nil, err
		}
		r.Added = cs
	case g.Root != "" && r.Live.Commit != "" && r.Previous.Commit != "":
		var err error
		if r.Added, err = Commits(g.Root, g.Paths, r.Previous.Commit, r.Live.Commit, 0); err != nil {
			return nil, err
		}
		if r.Removed, err = Commits(g.Root, g.Paths, r.Live.Commit, r.Previous.Commit, 0); err != nil {
			return nil, err
		}
	default:
		r.Added = m.Deployment.Commits
	}
	return r, nil
}

func entry(d *state.Deployment, commit func(*state.Deployment) string) Entry {
	return Entry{Version: d.Version, ReleaseID: d.ReleaseID, Commit: commit(d), Deployment: d.ID, RunID: d.RunID,
		Kind: d.Kind, Since: d.FinishedAt}
}

// Firsts returns the IDs of deps (newest first) that were recorded when
// their environment had no successful deployment yet: their commits are
// the component's newest, at most FirstLimit, not those since a previous
// deployment.
func Firsts(deps []*state.Deployment) map[string]bool {
	out := map[string]bool{}
	type key struct{ pipeline, env string }
	seen := map[key]bool{}
	for i := len(deps) - 1; i >= 0; i-- {
		d := deps[i]
		k := key{d.Pipeline, d.Environment}
		if !seen[k] {
			out[d.ID] = true
		}
		if d.Status == state.StatusSucceeded {
			seen[k] = true
		}
	}
	return out
}
