package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/outputs"
)

const releaseOutputsLine = `
pipeline "svc" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}

package "app" {
  step "stamp" {
    run = "echo \"commit=${git.short_sha}\" >> \"$PIPELINE_OUTPUT\""
  }
}

environment "production" {
  step "rollout" {
    run = "echo ${release.version} ${release.outputs.stamp.commit} >> DEPLOY_LOG"
  }
}
`

// TestReleaseOutputsOnRollback: a package step's outputs are stored on the
// release; the environment reads them as release.outputs.STEP.KEY, and a
// rollback reads those of the release it puts back, not the latest run's.
// The log is outside the repository: a rollback runs its steps in a
// checkout of the release's commit, not in the working tree.
func TestReleaseOutputsOnRollback(t *testing.T) {
	r := newRepo(t, nil)
	f := newFixture(t, r)
	c := ctx(t)
	var shas []string
	deployLog := filepath.Join(t.TempDir(), "deploy.log")
	for i := range 2 {
		files := map[string]string{"README": string(rune('a' + i))}
		if i == 0 {
			files["pipeline.hcl"] = strings.ReplaceAll(releaseOutputsLine, "DEPLOY_LOG", deployLog)
		}
		sha := r.commit("alice@example.com", "change", files)
		shas = append(shas, sha[:7])
		if _, err := f.eng.Run(c, engine.RunRequest{Config: r.load()}); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	rel, err := f.store.ReleaseByVersion(c, "svc", "1.0.1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := outputs.DecodeRelease(rel.Outputs)
	if err != nil || got["stamp"]["commit"] != shas[0] {
		t.Errorf("release 1.0.1 outputs = %v, %v; want stamp.commit = %s", got, err, shas[0])
	}
	if _, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: engine.DeployRequest{Config: r.load(), Environment: "production"}}); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	b, err := os.ReadFile(deployLog)
	if err != nil {
		t.Fatal(err)
	}
	want := "1.0.1 " + shas[0] + "\n1.0.2 " + shas[1] + "\n1.0.1 " + shas[0] + "\n"
	if string(b) != want {
		t.Errorf("deploy.log = %q; want %q (the rollback deploys 1.0.1 with its own outputs)", b, want)
	}
}
