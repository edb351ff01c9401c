package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// Digest returns "sha256:" and the hex digest of r's identity: pipeline,
// version, commit, config digest, artifacts (name and content hash) and
// images (name and ID), independent of the order of artifacts and images.
// Approvals bind to it: a release whose content changed has another digest.
func Digest(r *state.Release) string {
	h := sha256.New()
	field := func(k, v string) { fmt.Fprintf(h, "%s=%d:%s\n", k, len(v), v) }
	field("pipeline", r.Pipeline)
	field("version", r.Version)
	field("commit", r.Commit)
	field("config", r.ConfigDigest)
	arts := make([]string, 0, len(r.Artifacts))
	for _, a := range r.Artifacts {
		arts = append(arts, a.Name+"\x00"+a.SHA256)
	}
	sort.Strings(arts)
	for _, a := range arts {
		field("artifact", a)
	}
	if len(r.Outputs) > 0 { // releases without package-step outputs keep their digest
		field("outputs", string(r.Outputs))
	}
	imgs := make([]string, 0, len(r.Images))
	for _, i := range r.Images {
		imgs = append(imgs, i.Name+"\x00"+i.ID)
	}
	sort.Strings(imgs)
	for _, i := range imgs {
		field("image", i)
	}
	_, _ = io.WriteString(h, "end\n")
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
