// Package serve is the read-only web view and JSON API of `pipeline serve`:
// an http.Handler over the engine's queries (status, runs, releases,
// deployment history, audit trail) for a team that shares one state store.
//
// It never writes to the store: every route answers GET (and HEAD) only,
// and approvals stay on the CLI, where the approver's identity is checked.
// There is no authentication; the CLI listens on loopback by default.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/history"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
)

// Querier is the part of the engine facade the server reads through.
// *engine.Engine implements it.
type Querier interface {
	Runs(ctx context.Context, pipeline string, limit int) ([]engine.RunView, error)
	RunDetail(ctx context.Context, id string) (*engine.RunView, []*state.Node, error)
	Releases(ctx context.Context, pipeline string, limit int) ([]*state.Release, error)
	History(ctx context.Context, pipeline, env string, limit int) (*engine.History, error)
	LiveAt(ctx context.Context, pipeline, env string, t time.Time, g history.Git) (*history.Report, error)
	Status(ctx context.Context, pipeline string, envs []string) ([]engine.EnvStatus, error)
	Audit(ctx context.Context, pipeline string, limit int) ([]*state.AuditEvent, error)
	Pipelines(ctx context.Context) ([]string, error)
}

var _ Querier = (*engine.Engine)(nil)

// Options configure a Handler. Querier is required.
type Options struct {
	Querier Querier
	// Store names the state store on every page and in /api/status; a
	// password in it (user info or a password= query parameter) is
	// redacted before it is shown.
	Store string
	// Pipelines are shown first and even when the store holds nothing of
	// them; then every other pipeline the store has a run of, sorted.
	Pipelines []Pipeline
	// Logger receives one line per failed request; nil discards.
	Logger hclog.Logger
	// Clock stamps pages; nil: time.Now.
	Clock func() time.Time
}

// Handler serves the page and the API. It is safe for concurrent use.
type Handler struct {
	q     Querier
	opts  Options
	store string
	mux   *http.ServeMux
}

var _ http.Handler = (*Handler)(nil)

const (
	defaultLimit = 50
	maxLimit     = 1000
)

// New returns a Handler serving:
//
//	GET /                    the HTML page
//	GET /api/status          environments by pipeline: live, latest, waiting gates, rollback target
//	GET /api/runs            runs, newest first (?pipeline=, ?limit=)
//	GET /api/runs/{id}       one run with its nodes; 404 for an unknown run
//	GET /api/releases        releases, newest first (?pipeline=, ?limit=)
//	GET /api/history         deployments, newest first (?pipeline=, ?env=, ?limit=)
//	GET /api/history/at      the release live in ?env= of ?pipeline= at ?at= (RFC 3339,
//	                         "2h ago", ...), with the commits recorded for it; 404 when
//	                         nothing was live then
//	GET /api/audit           the audit trail, oldest first (?pipeline=, ?limit=)
//	GET /healthz             "ok" when the store answers, 503 when it does not
//
// Other methods get 405 and unknown paths 404.
func New(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	h := &Handler{q: opts.Querier, opts: opts, store: Redact(opts.Store), mux: http.NewServeMux()}
	h.mux.HandleFunc("GET /{$}", h.page)
	h.mux.HandleFunc("GET /api/status", h.apiStatus)
	h.mux.HandleFunc("GET /api/runs", h.apiRuns)
	h.mux.HandleFunc("GET /api/runs/{id}", h.apiRun)
	h.mux.HandleFunc("GET /api/releases", h.apiReleases)
	h.mux.HandleFunc("GET /api/history", h.apiHistory)
	h.mux.HandleFunc("GET /api/history/at", h.apiHistoryAt)
	h.mux.HandleFunc("GET /api/audit", h.apiAudit)
	h.mux.HandleFunc("GET /healthz", h.healthz)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// Redact returns a store URL with any password replaced by "xxxxx": the
// user-info password and a password= query parameter. A path is returned
// as it is; a URL that does not parse becomes "(unparsable URL)".
func Redact(store string) string {
	if !strings.Contains(store, "://") {
		return store
	}
	u, err := url.Parse(store)
	if err != nil {
		return "(unparsable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// errBadRequest marks a malformed query parameter.
var errBadRequest = errors.New("bad request")

func limitParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, fmt.Errorf("%w: limit=%q must be a whole number from 1 to %d", errBadRequest, s, maxLimit)
	}
	return n, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail answers a JSON error: 400 for a bad parameter, 404 for an unknown
// run, 500 (logged) for a store failure.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, errBadRequest):
		code = http.StatusBadRequest
	case errors.Is(err, state.ErrNotFound), errors.Is(err, history.ErrNothingLive):
		code = http.StatusNotFound
	default:
		h.opts.Logger.Error("request failed", "path", r.URL.Path, "error", err)
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if _, err := h.q.Runs(r.Context(), "", 1); err != nil {
		h.opts.Logger.Error("health check failed", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "the state store does not answer")
		return
	}
	fmt.Fprintln(w, "ok")
}

func (h *Handler) apiStatus(w http.ResponseWriter, r *http.Request) {
	names, err := h.pipelineNames(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := view.Status{Store: h.store, GeneratedAt: view.Time(h.opts.Clock()), Pipelines: []view.PipelineStatus{}}
	for _, name := range pick(names, r.URL.Query().Get("pipeline")) {
		v, err := h.pipelineView(r.Context(), name)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		out.Pipelines = append(out.Pipelines, view.NewPipelineStatus(name, v.Status))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) apiRuns(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	runs, err := h.q.Runs(r.Context(), r.URL.Query().Get("pipeline"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view.NewRuns(runs))
}

func (h *Handler) apiRun(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	run, nodes, err := h.q.RunDetail(r.Context(), id)
	var coded interface{ Code() int }
	if errors.As(err, &coded) && coded.Code() == engine.CodeInvalid {
		// The engine reports an unknown run as invalid input; it is the
		// only invalid input of RunDetail.
		err = fmt.Errorf("%w: %w", state.ErrNotFound, err)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view.NewRunDetail(*run, nodes))
}

func (h *Handler) apiReleases(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	names, err := h.pipelineNames(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var all []*state.Release
	for _, name := range pick(names, r.URL.Query().Get("pipeline")) {
		rels, err := h.q.Releases(r.Context(), name, limit)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		all = append(all, rels...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].CreatedAt.After(all[j].CreatedAt) })
	if len(all) > limit {
		all = all[:limit]
	}
	writeJSON(w, http.StatusOK, view.NewReleases(all))
}

func (h *Handler) apiHistory(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	names, err := h.pipelineNames(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	env := r.URL.Query().Get("env")
	var deps []*state.Deployment
	var targets []view.RollbackTarget
	for _, name := range pick(names, r.URL.Query().Get("pipeline")) {
		hist, err := h.q.History(r.Context(), name, env, limit)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		deps = append(deps, hist.Deployments...)
		targets = append(targets, view.NewRollbackTargets(name, hist.RollbackTargets)...)
	}
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].StartedAt.After(deps[j].StartedAt) })
	if len(deps) > limit {
		deps = deps[:limit]
	}
	writeJSON(w, http.StatusOK, view.NewHistory(deps, targets))
}

// apiHistoryAt answers what pipeline history --env ENV --at TIME --json
// prints, except that the commits are those recorded with the deployment
// that put the release live (the server has no repository to compare the
// two releases' commits in): removed is always [].
func (h *Handler) apiHistoryAt(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pipeline, env := q.Get("pipeline"), q.Get("env")
	if pipeline == "" || env == "" || q.Get("at") == "" {
		h.fail(w, r, fmt.Errorf("%w: give pipeline, env and at, for example ?pipeline=webapp&env=production&at=2h%%20ago", errBadRequest))
		return
	}
	t, err := history.ParseTime(q.Get("at"), h.opts.Clock())
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: at: %w", errBadRequest, err))
		return
	}
	rep, err := h.q.LiveAt(r.Context(), pipeline, env, t, history.Git{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view.NewLiveAt(pipeline, rep))
}

func (h *Handler) apiAudit(w http.ResponseWriter, r *http.Request) {
	limit, err := limitParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	evs, err := h.q.Audit(r.Context(), r.URL.Query().Get("pipeline"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view.NewAudit(evs))
}
