package console

import (
	"context"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/serve"
	"github.com/pipeline-cd/pipeline/engine/view"
)

// recentDeployments is how many of a pipeline's newest deployments the
// overview reads to find environments that are not configured: one bounded
// query per pipeline.
const recentDeployments = 50

// overviewWorkers bounds the rows the overview reads at once.
const overviewWorkers = 8

// Cell is one component x environment square of the grid.
type Cell struct {
	Environment string
	// Known is false for an environment this pipeline has no row for.
	Known  bool
	Status view.EnvStatus
	// Class is the colour: live, failed, running, waiting, approved, empty.
	Class string
	// Since is when the live deployment finished.
	Since time.Time
}

// Row is one pipeline of the grid.
type Row struct {
	Pipeline string
	Cells    []Cell
}

type overviewPage struct {
	base
	Filter       string
	Environments []string
	Rows         []Row
	Total        int
	Now          time.Time
	Runs         []view.Run
}

// recentRuns is how many runs the overview lists under the grid.
const recentRuns = 15

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	filter := strings.TrimSpace(r.URL.Query().Get("component"))
	p, err := h.overviewData(r.Context(), filter)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, http.StatusOK, "overview", p)
}

// overviewData builds the grid: the pipelines whose name contains filter
// (case-insensitive), one row each; columns are every environment in
// promotion order (configured order first, then first-deployed order).
func (h *Handler) overviewData(ctx context.Context, filter string) (*overviewPage, error) {
	names, err := h.pipelineNames(ctx)
	if err != nil {
		return nil, err
	}
	p := &overviewPage{base: h.base("Overview"), Filter: filter, Total: len(names), Now: h.opts.Clock()}
	colSeen := map[string]bool{}
	addCol := func(env string) {
		if !colSeen[env] {
			colSeen[env] = true
			p.Environments = append(p.Environments, env)
		}
	}
	type rowData struct {
		name   string
		status []engine.EnvStatus
	}
	var rows []*rowData
	for _, name := range names {
		if filter == "" || strings.Contains(strings.ToLower(name), strings.ToLower(filter)) {
			rows = append(rows, &rowData{name: name})
		}
	}
	// Each row costs a few bounded store queries; rows are read in
	// parallel (at most overviewWorkers at a time) and laid out in order.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(overviewWorkers)
	for _, rd := range rows {
		g.Go(func() error {
			envs := h.configured(rd.name)
			if len(envs) == 0 {
				hist, err := h.q.History(gctx, rd.name, "", recentDeployments)
				if err != nil {
					return err
				}
				envs = hist.Environments()
			}
			status, err := h.q.Status(gctx, rd.name, envs)
			rd.status = status
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	byRow := make([]map[string]view.EnvStatus, len(rows))
	for i, rd := range rows {
		byRow[i] = map[string]view.EnvStatus{}
		for _, s := range rd.status {
			addCol(s.Environment)
			byRow[i][s.Environment] = view.NewEnvStatus(s)
		}
	}
	for i, rd := range rows {
		row := Row{Pipeline: rd.name}
		for _, env := range p.Environments {
			s, ok := byRow[i][env]
			c := Cell{Environment: env, Known: ok, Status: s, Class: "empty"}
			if ok {
				c.Class, c.Since = classify(s)
			}
			row.Cells = append(row.Cells, c)
		}
		p.Rows = append(p.Rows, row)
	}
	runs, err := h.q.Runs(ctx, "", recentRuns)
	if err != nil {
		return nil, err
	}
	for _, run := range runs {
		if filter == "" || strings.Contains(strings.ToLower(run.Pipeline), strings.ToLower(filter)) {
			p.Runs = append(p.Runs, view.NewRun(run))
		}
	}
	return p, nil
}

// classify picks a cell's colour: a waiting gate first (someone must act),
// then an approved gate, then the newest deployment's outcome.
func classify(s view.EnvStatus) (string, time.Time) {
	var since time.Time
	if s.Live != nil && s.Live.FinishedAt != nil {
		since = *s.Live.FinishedAt
	}
	switch {
	case len(s.Waiting) > 0:
		return "waiting", since
	case len(s.Approved) > 0:
		return "approved", since
	case s.Latest != nil && s.Latest.Status == "running":
		return "running", since
	case s.Latest != nil && s.Latest.Status != "succeeded":
		return "failed", since
	case s.Live != nil:
		return "live", since
	}
	return "empty", since
}

// configured returns a configured pipeline's environments, nil otherwise.
func (h *Handler) configured(name string) []string {
	for _, p := range h.opts.Pipelines {
		if p.Name == name {
			return p.Environments
		}
	}
	return nil
}

// pipelineNames: configured pipelines first, then every other stored one.
func (h *Handler) pipelineNames(ctx context.Context) ([]string, error) {
	return serve.PipelineNames(ctx, h.q, h.opts.Pipelines)
}
