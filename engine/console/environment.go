package console

import (
	"fmt"
	"net/http"
	"time"

	"github.com/pipeline-cd/pipeline/engine/view"
)

const (
	// envPageSize is how many deployments one environment page shows.
	envPageSize = 50
	// envWindow bounds the environment page's deployment query: pages
	// reach the environment's newest envWindow deployments.
	envWindow = 1000
	// envAudit is how many of the pipeline's newest audit events the page
	// reads to show those of the environment.
	envAudit = 500
)

type envPage struct {
	base
	Pipeline, Environment string
	Now                   time.Time
	Status                *view.EnvStatus
	Deployments           []*view.Deployment
	// Next is the cursor of the next (older) page: the ID of the last
	// deployment shown; empty on the last page.
	Next   string
	Cursor string
	Window int
	Audit  []view.AuditEvent // newest first
}

func (h *Handler) environmentPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pipeline, env := r.PathValue("pipeline"), r.PathValue("env")
	cursor := r.URL.Query().Get("after")
	hist, err := h.q.History(ctx, pipeline, env, envWindow)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := &envPage{base: h.base(pipeline + " / " + env), Pipeline: pipeline, Environment: env,
		Now: h.opts.Clock(), Cursor: cursor, Window: envWindow}
	start := 0
	if cursor != "" {
		start = -1
		for i, d := range hist.Deployments {
			if d.ID == cursor {
				start = i + 1
				break
			}
		}
		if start < 0 {
			h.fail(w, r, fmt.Errorf("%w: after=%q is not a deployment among the newest %d of %s in %s; start again from the first page",
				errBadRequest, cursor, envWindow, pipeline, env))
			return
		}
	}
	end := min(start+envPageSize, len(hist.Deployments))
	for _, d := range hist.Deployments[start:end] {
		p.Deployments = append(p.Deployments, view.NewDeployment(d))
	}
	if end < len(hist.Deployments) {
		p.Next = hist.Deployments[end-1].ID
	}
	status, err := h.q.Status(ctx, pipeline, []string{env})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, s := range status {
		if s.Environment == env {
			v := view.NewEnvStatus(s)
			p.Status = &v
		}
	}
	evs, err := h.q.Audit(ctx, pipeline, envAudit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Environment == env {
			p.Audit = append(p.Audit, view.NewAuditEvent(evs[i]))
		}
	}
	h.render(w, http.StatusOK, "environment", p)
}
