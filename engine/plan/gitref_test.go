package plan

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
	"github.com/pipeline-cd/pipeline/internal/golden"
)

// gitRepo creates a git repository with fixed identities and dates, so
// that commit hashes (and so the goldens) are the same on every machine.
func gitRepo(t *testing.T) (root string, git func(args ...string) string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("git is not installed: %v", err)
		}
		t.Skipf("git is not installed: %v", err)
	}
	for k, v := range map[string]string{
		"GIT_CONFIG_GLOBAL": os.DevNull, "GIT_CONFIG_NOSYSTEM": "1",
		"GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@example.com",
		"GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "alice@example.com",
		"GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z",
	} {
		t.Setenv(k, v)
	}
	root = t.TempDir()
	git = func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput()
		require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	return root, git
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

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
	root, git := gitRepo(t)
	writeFile(t, filepath.Join(root, "deploy", "pipeline.hcl"), gitMainConfig)
	git("add", ".")
	git("commit", "-q", "-m", "pipeline")
	git("checkout", "-q", "-b", "no-gate")
	noGate := strings.Replace(gitMainConfig, "  gate \"approve\" {\n    approvers = [\"group:owners\"]\n  }\n", "", 1)
	require.NotEqual(t, gitMainConfig, noGate)
	writeFile(t, filepath.Join(root, "deploy", "pipeline.hcl"), noGate)
	git("commit", "-q", "-am", "drop the gate")
	git("checkout", "-q", "main")
	// Uncommitted change in the working tree: ignored when reading a ref.
	writeFile(t, filepath.Join(root, "deploy", "pipeline.hcl"), strings.Replace(gitMainConfig, "./deploy", "./dirty", 1))

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
