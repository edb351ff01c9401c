package plan

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
	"github.com/pipeline-cd/pipeline/internal/gittest"
	"github.com/pipeline-cd/pipeline/internal/golden"
)

const gitMainConfig = `pipeline "svc" {
  image   = "golang:1.26"
  version = "0.${git.commit_count}.0"
}

build "svc" {
  step "compile" { run = "go build -o svc ./cmd/svc # ${git.short_sha}" }
}

package "svc" {
  artifact "svc" { path = "svc" }
}

environment "production" {
  branches = ["main"]
  gate "approve" {
    approvers = ["group:owners"]
  }
  step "deploy" { run = "./deploy ${release.version}" }
}

group "owners" {
  members = ["alice@example.com"]
}
`

// TestGoldenGitRef plans configs read from commits of a real repository
// (the --ref path): main, a branch that removes the gate, and the working
// tree, which must not leak into either ref.
func TestGoldenGitRef(t *testing.T) {
	// gittest fixes identities and dates, so that commit hashes (and so
	// the goldens) are the same on every machine.
	root := gittest.Init(t)
	gittest.Commit(t, root, "pipeline", map[string]string{"deploy/pipeline.hcl": gitMainConfig})
	gittest.Git(t, root, "checkout", "-q", "-b", "no-gate")
	noGate := strings.Replace(gitMainConfig, "  gate \"approve\" {\n    approvers = [\"group:owners\"]\n  }\n", "", 1)
	require.NotEqual(t, gitMainConfig, noGate)
	gittest.Commit(t, root, "drop the gate", map[string]string{"deploy/pipeline.hcl": noGate})
	gittest.Git(t, root, "checkout", "-q", "main")
	// Uncommitted change in the working tree: ignored when reading a ref.
	gittest.Write(t, root, map[string]string{"deploy/pipeline.hcl": strings.Replace(gitMainConfig, "./deploy", "./dirty", 1)})

	for _, ref := range []string{"main", "no-gate"} {
		t.Run(ref, func(t *testing.T) {
			fsys, commit, err := gitsrc.RefFS(root, ref, "deploy")
			require.NoError(t, err)
			info, err := gitsrc.Info(root, ref)
			require.NoError(t, err)
			cfg, diags := dsl.NewParser().LoadDir(fsys, dsl.LoadOptions{
				FilenamePrefix: ref + ":deploy/",
				Dir:            "deploy",
				Source:         dsl.Source{Ref: ref, Commit: commit},
				Git:            info,
				Getenv:         func(string) (string, bool) { return "", false },
			})
			require.False(t, diags.HasErrors(), "LoadDir(%s): %v", ref, diags)
			p, err := New(cfg, Options{})
			require.NoError(t, err)
			require.Equal(t, commit, p.Source.Commit)
			if ref == "main" && p.Node("environment.production.gate.approve") == nil {
				t.Errorf("New(ref main).Node(gate) = nil; want the gate read from main")
			}
			if ref == "no-gate" && p.Node("environment.production.gate.approve") != nil {
				t.Errorf("New(ref no-gate).Node(gate) present; want it gone at that ref")
			}
			for file, got := range render(t, p) {
				if strings.Contains(string(got), "./dirty") {
					t.Errorf("%s of ref %s shows the uncommitted working tree", file, ref)
				}
				golden.Check(t, filepath.Join(corpusDir, "gitref", ref+"."+file), got)
			}
		})
	}
}
