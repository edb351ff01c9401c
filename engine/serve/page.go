package serve

import (
	"bytes"
	"html/template"
	"net/http"
	"time"

	"github.com/pipeline-cd/pipeline/engine/view"
)

const (
	pageRuns     = 20 // recent runs on the page
	pageReleases = 10 // releases per pipeline
	pageHistory  = 10 // deployments per environment
	pageAudit    = 50 // newest audit events
)

type envHistory struct {
	Environment string
	Deployments []*view.Deployment
}

type pagePipeline struct {
	Name     string
	Status   []view.EnvStatus
	Releases []view.Release
	History  []envHistory
}

type pageData struct {
	Store     string
	Generated *time.Time
	Pipelines []pagePipeline
	Runs      []view.Run
	Audit     []view.AuditEvent // newest first
}

func (h *Handler) pageData(r *http.Request) (*pageData, error) {
	ctx := r.Context()
	names, err := h.pipelineNames(ctx)
	if err != nil {
		return nil, err
	}
	runs, err := h.q.Runs(ctx, "", pageRuns)
	if err != nil {
		return nil, err
	}
	d := &pageData{Store: h.store, Generated: view.Time(h.opts.Clock())}
	for _, run := range runs {
		d.Runs = append(d.Runs, view.NewRun(run))
	}
	for _, name := range names {
		v, err := h.pipelineView(ctx, name)
		if err != nil {
			return nil, err
		}
		rels, err := h.q.Releases(ctx, name, pageReleases)
		if err != nil {
			return nil, err
		}
		p := pagePipeline{Name: name}
		for _, s := range v.Status {
			p.Status = append(p.Status, view.NewEnvStatus(s))
			eh := envHistory{Environment: s.Environment}
			for _, dep := range v.History.Deployments {
				if dep.Environment == s.Environment && len(eh.Deployments) < pageHistory {
					eh.Deployments = append(eh.Deployments, view.NewDeployment(dep))
				}
			}
			p.History = append(p.History, eh)
		}
		for _, rel := range rels {
			p.Releases = append(p.Releases, view.NewRelease(rel))
		}
		d.Pipelines = append(d.Pipelines, p)
	}
	evs, err := h.q.Audit(ctx, "", pageAudit)
	if err != nil {
		return nil, err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		d.Audit = append(d.Audit, view.NewAuditEvent(evs[i]))
	}
	return d, nil
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	var buf bytes.Buffer
	d, err := h.pageData(r)
	if err == nil {
		err = pageTemplate.Execute(&buf, d)
	}
	if err != nil {
		h.opts.Logger.Error("rendering the page failed", "error", err)
		buf.Reset()
		w.WriteHeader(http.StatusInternalServerError)
		_ = errorTemplate.Execute(&buf, struct {
			Store string
			Err   string
		}{h.store, err.Error()})
	}
	_, _ = w.Write(buf.Bytes())
}

var funcs = template.FuncMap{
	"when": func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Format("2006-01-02 15:04:05 UTC")
	},
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
}

const style = `<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.2em;margin-top:1.6em}h3{font-size:1em}
table{border-collapse:collapse;margin:.4em 0 1em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}code{background:#f6f6f6;padding:0 .2em}
.succeeded{color:#176f2c}.failed,.rejected,.expired,.crashed{color:#b00020}.waiting,.running{color:#8a5a00}
.store{color:#555}.none{color:#888}
</style>`

var pageTemplate = template.Must(template.New("page").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>pipeline: delivery status</title>` + style + `</head>
<body>
<h1>Delivery status</h1>
<p class="store">State store: <code>{{.Store}}</code>, read at {{when .Generated}}. Read-only: approve on the command line.</p>
{{if not .Pipelines}}<p class="none">The store holds no runs yet.</p>{{end}}
{{range .Pipelines}}
<h2>Pipeline {{.Name}}</h2>
<table>
<tr><th>Environment</th><th>Live</th><th>Since</th><th>Latest</th><th>Waiting at a gate</th><th>Rollback target</th></tr>
{{range .Status}}<tr>
<td>{{.Environment}}</td>
<td>{{with .Live}}{{.Version}}{{else}}<span class="none">-</span>{{end}}</td>
<td>{{with .Live}}{{when .FinishedAt}}{{else}}-{{end}}</td>
<td>{{with .Latest}}{{.Version}} <span class="{{.Status}}">{{.Status}}</span>{{else}}-{{end}}</td>
<td>{{range .Waiting}}<div>{{.Gate}} (run {{.RunID}}): <code>{{.ApproveCommand}}</code></div>{{end}}{{range .Expired}}<div>{{.Gate}} (run {{.RunID}}): <span class="expired">expired</span> at {{when .ExpiresAt}}; start a new run</div>{{end}}{{if not (or .Waiting .Expired)}}-{{end}}</td>
<td>{{or .RollbackTarget "-"}}</td>
</tr>{{else}}<tr><td colspan="6" class="none">No environment has a deployment or a waiting gate.</td></tr>{{end}}
</table>
<h3>Releases</h3>
{{if .Releases}}<table>
<tr><th>Version</th><th>Created</th><th>Commit</th><th>Branch</th><th>Author</th><th>Artifacts</th><th>Images</th><th>Run</th></tr>
{{range .Releases}}<tr><td>{{.Version}}</td><td>{{when .CreatedAt}}</td><td><code>{{short .Commit}}</code></td><td>{{.Branch}}</td><td>{{.Author}}</td><td>{{len .Artifacts}}</td><td>{{len .Images}}</td><td>{{with .RunID}}<a href="/api/runs/{{.}}">{{.}}</a>{{else}}-{{end}}</td></tr>
{{end}}</table>{{else}}<p class="none">No releases.</p>{{end}}
{{range .History}}
<h3>Deployments to {{.Environment}}</h3>
{{if .Deployments}}<table>
<tr><th>Version</th><th>Kind</th><th>Status</th><th>Started</th><th>Finished</th><th>Approved by</th><th>Commits</th></tr>
{{range .Deployments}}<tr><td>{{.Version}}</td><td>{{.Kind}}</td><td class="{{.Status}}">{{.Status}}{{with .Reason}}: {{.}}{{end}}</td><td>{{when .StartedAt}}</td><td>{{when .FinishedAt}}</td>
<td>{{range $i, $a := .ApprovedBy}}{{if $i}}, {{end}}{{$a}}{{else}}-{{end}}</td>
<td>{{range .Commits}}<div><code>{{short .SHA}}</code> {{.Subject}} ({{.Author}})</div>{{else}}-{{end}}</td></tr>
{{end}}</table>{{else}}<p class="none">No deployments.</p>{{end}}
{{end}}
{{end}}
<h2>Recent runs</h2>
{{if .Runs}}<table>
<tr><th>Run</th><th>Pipeline</th><th>Kind</th><th>Status</th><th>Commit</th><th>Branch</th><th>Author</th><th>Started</th><th>Reason</th></tr>
{{range .Runs}}<tr><td><a href="/api/runs/{{.ID}}">{{.ID}}</a></td><td>{{.Pipeline}}</td><td>{{.Kind}}</td><td class="{{.Status}}">{{.Status}}</td><td><code>{{short .Commit}}</code></td><td>{{.Branch}}</td><td>{{.Author}}</td><td>{{when .StartedAt}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{else}}<p class="none">No runs.</p>{{end}}
<h2>Audit trail</h2>
{{if .Audit}}<table>
<tr><th>#</th><th>When</th><th>Actor</th><th>Action</th><th>Pipeline</th><th>Environment</th><th>Release</th><th>Run</th><th>Detail</th></tr>
{{range .Audit}}<tr><td>{{.Seq}}</td><td>{{when .At}}</td><td>{{.Actor}}</td><td>{{.Action}}</td><td>{{.Pipeline}}</td><td>{{.Environment}}</td><td>{{.Release}}</td><td>{{.RunID}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>{{else}}<p class="none">No audit events.</p>{{end}}
<p class="store">JSON: <a href="/api/status">/api/status</a>, <a href="/api/runs">/api/runs</a>, <a href="/api/releases">/api/releases</a>, <a href="/api/history">/api/history</a>, <a href="/api/audit">/api/audit</a>. State store: <code>{{.Store}}</code>.</p>
</body></html>
`))

var errorTemplate = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>pipeline: error</title>` + style + `</head>
<body><h1>Cannot read the state store</h1>
<p class="store">State store: <code>{{.Store}}</code></p>
<p class="failed">{{.Err}}</p>
</body></html>
`))
