package history

import (
	"path"
	"slices"
	"strings"

	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
	"github.com/pipeline-cd/pipeline/engine/state"
)

// FirstLimit bounds the commits listed for the first deployment of a
// component to an environment: there is no earlier deployment to compare
// with, so it carries the component's newest commits, at most this many.
const FirstLimit = 20

// Paths returns the git pathspecs, relative to the repository root, whose
// commits belong to the component in directory component (relative to the
// root, slash-separated): the directory itself and the paths the pipeline
// declares (relative to the component directory). A declared path that
// leads out of the repository is left out. A component at the root
// without declared paths owns every commit: Paths returns nil.
func Paths(component string, declared []string) []string {
	component = path.Clean(strings.TrimPrefix(component, "./"))
	if component == "." && len(declared) == 0 {
		return nil
	}
	out := []string{component}
	for _, p := range declared {
		if j := path.Join(component, p); j != ".." && !strings.HasPrefix(j, "../") {
			out = append(out, j)
		}
	}
	for i, p := range out {
		if p == "." {
			return nil // the whole repository
		}
		out[i] = p
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Commits lists the commits reachable from to but not from from (every
// commit reachable from to when from is ""), newest first, that change a
// file below one of paths (every commit for nil paths), at most limit
// (0: all).
func Commits(root string, paths []string, from, to string, limit int) ([]state.Commit, error) {
	cs, err := gitsrc.Commits(root, from, to, limit, paths...)
	if err != nil {
		return nil, err
	}
	out := make([]state.Commit, 0, len(cs))
	for _, c := range cs {
		out = append(out, state.Commit{SHA: c.SHA, Author: c.Author, Subject: c.Subject})
	}
	return out, nil
}
