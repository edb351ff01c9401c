package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
	"github.com/pipeline-cd/pipeline/internal/testenv"
)

const dockerized = `
pipeline "boxed" {
  version = "0.1.${git.commit_count}"
  image   = "pipeline-test/busybox:latest"
}

build "app" {
  step "compile" {
    pull = "never"
    run  = "mkdir -p dist && cp src.txt dist/app"
  }
}

package "app" {
  artifact "bin" { path = "dist/app" }
  image "web" {
    context = "."
  }
}

environment "internal" {
  step "rollout" {
    pull = "never"
    run  = <<-EOT
      echo deploying image ${release.images.web}
      echo "artifact at ${release.artifacts.bin}"
      cat ${release.artifacts.bin}
      if echo changed >> ${release.artifacts.bin} || touch /pipeline/artifacts/new; then
        echo artifact store writable
      else
        echo artifact store read-only
      fi
    EOT
  }
}
`

func TestDockerDelivery(t *testing.T) {
	testenv.RequireTestImage(t)
	cli := testenv.RequireDocker(t)
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": dockerized, "src.txt": "good\n",
		"Dockerfile": "FROM scratch\nCOPY src.txt /src.txt\n", ".dockerignore": ".pipeline\n"})
	res := r.must(0, nil, "run", "--plain")
	id := runID(t, res.stdout)
	rels := decode[view.Releases](t, r.must(0, nil, "releases", "--json").stdout).Releases
	if len(rels) != 1 || len(rels[0].Images) != 1 || !strings.HasPrefix(rels[0].Images[0].ID, "sha256:") {
		t.Fatalf("releases = %+v; want one with an image recorded by ID", rels)
	}
	img := rels[0].Images[0]
	t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), img.Tag, image.RemoveOptions{Force: true}) })
	logs := r.must(0, nil, "logs", id, "rollout").stdout
	if !strings.Contains(logs, "deploying image "+img.ID) {
		t.Errorf("rollout log %q does not show the release image %s", logs, img.ID)
	}
	// release.artifacts.bin is the in-container path of the blob, in the
	// artifact store mounted read-only.
	for _, want := range []string{"artifact at /pipeline/artifacts/sha256/", "good", "artifact store read-only"} {
		if !strings.Contains(logs, want) {
			t.Errorf("rollout log %q does not contain %q", logs, want)
		}
	}
	h := decode[view.History](t, r.must(0, nil, "history", "--json").stdout)
	if len(h.Deployments) != 1 || h.Deployments[0].Status != state.StatusSucceeded {
		t.Errorf("history = %+v; want one succeeded deployment", h.Deployments)
	}
}
