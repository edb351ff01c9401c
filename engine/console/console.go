// Package console is the release console of `pipeline serve`: server-rendered
// HTML pages (an overview grid of components x environments, a run page
// with the plan drawn as SVG, node statuses and step logs updated live over
// Server-Sent Events) beside the JSON API of engine/serve, which it serves
// unchanged under /api/ and /healthz.
//
// Pages use html/template (every value is escaped) and embedded assets (no
// CDN, no build step); they work without JavaScript. The console is
// read-only: it answers GET and HEAD only and shows the CLI command for
// every action.
package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/serve"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
)

//go:embed assets
var assets embed.FS

// Querier is what the console reads through; *engine.Engine implements it.
type Querier interface {
	serve.Querier
	Logs(ctx context.Context, runID, step string) ([]state.LogLine, error)
}

var _ Querier = (*engine.Engine)(nil)

// Options configure a Handler. Querier is required.
type Options struct {
	Querier Querier
	// Store names the state store in the page footer (redacted).
	Store string
	// Pipelines are shown first, with their environments in promotion order.
	Pipelines []serve.Pipeline
	Logger    hclog.Logger
	// Clock stamps pages and computes "how long ago"; nil: time.Now.
	Clock func() time.Time
	// Poll is how often the live stream reads the store; 0: one second.
	Poll time.Duration
	// StreamFor bounds one Server-Sent Events response (the browser
	// reconnects and goes on where it stopped); 0: 45 seconds, under the
	// server's write timeout.
	StreamFor time.Duration
}

// Handler serves the console pages and the JSON API.
type Handler struct {
	q     Querier
	opts  Options
	store string
	api   *serve.Handler
	mux   *http.ServeMux
	tmpl  map[string]*template.Template
}

var _ http.Handler = (*Handler)(nil)

// New returns a Handler serving:
//
//	GET /                      overview: components x environments (?component=)
//	GET /runs/{id}             a run: plan as SVG, node statuses, logs, timing
//	GET /runs/{id}/events      Server-Sent Events: node statuses and new log lines
//	GET /releases/{p}/{v}     a release: identity, artifacts, images, where it is live, deployments
//	GET /environments/{p}/{e} an environment: deployment history by cursor (?after=ID), audit trail
//	GET /assets/...            the embedded stylesheet and script
//	GET /api/runs/{id}/logs    a run's masked log lines as JSON (?step=), as `pipeline logs --json`
//	GET /api/..., /healthz     the JSON API of engine/serve
func New(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.StreamFor <= 0 {
		opts.StreamFor = 45 * time.Second
	}
	h := &Handler{
		q:     opts.Querier,
		opts:  opts,
		store: serve.Redact(opts.Store),
		api: serve.New(serve.Options{Querier: opts.Querier, Store: opts.Store, Pipelines: opts.Pipelines,
			Logger: opts.Logger, Clock: opts.Clock}),
		mux:  http.NewServeMux(),
		tmpl: parseTemplates(),
	}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded folder is part of the binary
	}
	h.mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET /{$}", h.overview)
	h.mux.HandleFunc("GET /runs/{id}", h.runPage)
	h.mux.HandleFunc("GET /runs/{id}/events", h.runEvents)
	h.mux.HandleFunc("GET /releases/{pipeline}/{version}", h.releasePage)
	h.mux.HandleFunc("GET /environments/{pipeline}/{env}", h.environmentPage)
	h.mux.HandleFunc("GET /api/runs/{id}/logs", h.apiLogs)
	h.mux.Handle("/api/", h.api)
	h.mux.Handle("/healthz", h.api)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	h.mux.ServeHTTP(w, r)
}

// fail renders an error page: 404 for an unknown run, 400 for a bad
// parameter, 500 (logged) for a store failure.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	var coded interface{ Code() int }
	switch {
	case errors.Is(err, state.ErrNotFound), errors.As(err, &coded) && coded.Code() == engine.CodeInvalid:
		code = http.StatusNotFound
	case errors.Is(err, errBadRequest):
		code = http.StatusBadRequest
	default:
		h.opts.Logger.Error("request failed", "path", r.URL.Path, "error", err)
	}
	h.render(w, code, "error", &errorPage{base: h.base("Error"), Code: code, Message: err.Error()})
}

var errBadRequest = errors.New("bad request")

// apiLogs answers the document `pipeline logs --json` prints; errors are
// JSON too: 404 for an unknown run or step.
func (h *Handler) apiLogs(w http.ResponseWriter, r *http.Request) {
	id, step := r.PathValue("id"), r.URL.Query().Get("step")
	lines, err := h.q.Logs(r.Context(), id, step)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err != nil {
		code := http.StatusInternalServerError
		var coded interface{ Code() int }
		if errors.Is(err, state.ErrNotFound) || errors.As(err, &coded) && coded.Code() == engine.CodeInvalid {
			code = http.StatusNotFound
		} else {
			h.opts.Logger.Error("request failed", "path", r.URL.Path, "error", err)
		}
		w.WriteHeader(code)
		_ = enc.Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = enc.Encode(view.NewLogs(id, step, lines))
}

type base struct {
	Title     string
	Store     string
	Generated time.Time
}

func (h *Handler) base(title string) base {
	return base{Title: title, Store: h.store, Generated: h.opts.Clock()}
}

type errorPage struct {
	base
	Code    int
	Message string
}

func (h *Handler) render(w http.ResponseWriter, code int, name string, data any) {
	t := h.tmpl[name]
	if t == nil {
		http.Error(w, fmt.Sprintf("no page %q", name), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := t.ExecuteTemplate(w, "layout", data); err != nil {
		h.opts.Logger.Error("rendering a page failed", "page", name, "error", err)
	}
}
