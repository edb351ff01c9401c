package console

import (
	"fmt"
	"net/http"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
)

// releaseWindow bounds the release page's queries: it finds a release
// among its pipeline's newest releaseWindow releases and its deployments
// among the newest releaseWindow deployments.
const releaseWindow = 500

type releasePage struct {
	base
	Release     *state.Release
	Now         time.Time
	Live        []string
	Deployments []*view.Deployment
}

func (h *Handler) releasePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pipeline, version := r.PathValue("pipeline"), r.PathValue("version")
	rels, err := h.q.Releases(ctx, pipeline, releaseWindow)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var rel *state.Release
	for _, x := range rels {
		if x.Version == version {
			rel = x
			break
		}
	}
	if rel == nil {
		h.fail(w, r, fmt.Errorf("%w: pipeline %q has no release %q among its newest %d releases; `pipeline releases` lists them",
			state.ErrNotFound, pipeline, version, releaseWindow))
		return
	}
	p := &releasePage{base: h.base(pipeline + " " + version), Release: rel, Now: h.opts.Clock()}
	hist, err := h.q.History(ctx, pipeline, "", releaseWindow)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, d := range hist.Deployments {
		if d.ReleaseID == rel.ID {
			p.Deployments = append(p.Deployments, view.NewDeployment(d))
		}
	}
	status, err := h.q.Status(ctx, pipeline, h.configured(pipeline))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, s := range status {
		if s.Live != nil && s.Live.ReleaseID == rel.ID {
			p.Live = append(p.Live, s.Environment)
		}
	}
	h.render(w, http.StatusOK, "release", p)
}
