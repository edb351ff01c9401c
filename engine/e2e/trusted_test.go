package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const trustedProd = `
pipeline "svc" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}
build "app" {
  step "compile" { run = "mkdir -p dist && echo ok > dist/app" }
}
package "app" {
  artifact "bin" { path = "dist/app" }
}
environment "prod" {
  %s
  step "rollout" { run = "mkdir -p ../deployed && echo ${release.version} > ../deployed/prod" }
}
`

// TestMovedConfigCannotDropItsGate: a branch that moves the pipeline to
// another directory and deletes prod's gate must not deploy to prod; the
// trusted config (main) does not have the pipeline there, so its
// environments are not on the trusted ref yet: not deployed, with an
// explanation; the build still runs and the run exits 0 (the adoption
// path: nothing was asked for by name).
func TestMovedConfigCannotDropItsGate(t *testing.T) {
	r := newRepo(t)
	r.commit("trusted", map[string]string{"pipeline.hcl": strings.Replace(trustedProd, "%s",
		`gate "go" { approvers = ["carol@example.com"] }`, 1)})
	r.git("checkout", "-q", "-b", "feature")
	r.git("rm", "-q", "pipeline.hcl")
	r.commit("move the pipeline and drop the gate", map[string]string{"deploy/pipeline.hcl": strings.Replace(trustedProd, "%s", "", 1)})

	res := r.must(0, nil, "run", "-C", "deploy", "--runner", "local", "--plain")
	if _, err := os.Stat(filepath.Join(r.dir, "deployed", "prod")); !os.IsNotExist(err) {
		t.Fatalf("prod was deployed by a branch that removed its gate (stat: %v)\nstdout:\n%s\nstderr:\n%s", err, res.stdout, res.stderr)
	}
	for _, want := range []string{"environment prod is not on the trusted ref main yet", "merge the config to main", "--trusted-ref"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("run -C deploy: stderr does not say %q:\n%s", want, res.stderr)
		}
	}
	if !strings.Contains(res.stdout, "release svc 1.0.2") {
		t.Errorf("run -C deploy: the build and package did not run (no release 1.0.2):\n%s", res.stdout)
	}
	hist := r.must(0, nil, "-C", "deploy", "history", "--env", "prod")
	if strings.Contains(hist.stdout, "succeeded") || strings.Contains(hist.stdout, "running") {
		t.Errorf("history of prod after the refused run shows a deployment:\n%s", hist.stdout)
	}
}
