package engine

import (
	"maps"
	"path"
	"path/filepath"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/runners"
)

// dockerRunner is the name of the runner that runs steps in containers.
const dockerRunner = "docker"

// stepRunner returns the name of the runner that runs step node n: its
// own runner, else the run's --runner, else the engine's default.
func (s *session) stepRunner(n *plan.Node) string {
	if n.Step != nil && n.Step.Runner != "" {
		return n.Step.Runner
	}
	if s.rec.Runner != "" {
		return s.rec.Runner
	}
	return s.e.opts.DefaultRunner
}

// artifactScope returns the scope step n is evaluated in and the artifact
// store directory its runner must make readable (runners.Step.Artifacts),
// "" when the release has no artifacts yet. For a Docker step
// release.artifacts.NAME is the blob's path below runners.ArtifactsMount,
// where the Docker runner mounts the store read-only; for other runners it
// stays the host path.
func (s *session) artifactScope(n *plan.Node, scope dsl.Scope) (dsl.Scope, string) {
	rel := scope.Release
	if rel == nil || len(rel.Artifacts) == 0 || s.e.cas == nil {
		return scope, ""
	}
	root := s.e.cas.Root
	if s.stepRunner(n) != dockerRunner {
		return scope, root
	}
	in := *rel
	in.Artifacts = maps.Clone(rel.Artifacts)
	for name, host := range rel.Artifacts {
		if r, err := filepath.Rel(root, host); err == nil && filepath.IsLocal(r) {
			in.Artifacts[name] = path.Join(runners.ArtifactsMount, filepath.ToSlash(r))
		}
	}
	scope.Release = &in
	return scope, root
}
