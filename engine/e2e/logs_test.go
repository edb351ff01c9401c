package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/storescan"
)

func TestLogsAreMasked(t *testing.T) {
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": `
pipeline "secretive" {
  image = "busybox"
}
secret "token" {
  env = "DEPLOY_TOKEN"
}
build "app" {
  step "leak" {
    secrets = [secret.token]
    run     = "echo token is $DEPLOY_TOKEN"
  }
}
`})
	const secret = "s3cr3t-value-42"
	res := r.must(0, []string{"DEPLOY_TOKEN=" + secret}, "run", "--runner", "local", "--plain")
	id := runID(t, res.stdout)
	logs := r.must(0, nil, "logs", id, "leak").stdout
	if strings.Contains(logs+res.stdout, secret) {
		t.Errorf("the secret value reached the output or the stored logs:\n%s\n%s", res.stdout, logs)
	}
	if !strings.Contains(logs, "token is ***") {
		t.Errorf("logs %q; want the masked line \"token is ***\"", logs)
	}
	storescan.SQLite(t, filepath.Join(r.dir, ".pipeline", "state.db"), secret)
	if bad := r.pipeline(nil, "logs", id, "nope"); bad.code != 2 || !strings.Contains(bad.stderr, "build.app.leak") {
		t.Errorf("logs of an unknown step exited %d with %q; want 2 listing the steps", bad.code, bad.stderr)
	}
}
