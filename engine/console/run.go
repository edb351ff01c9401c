package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/engine/plan"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
)

// maxPageLines bounds the log lines the run page renders; the newest are
// kept and the page says how many it left out.
const maxPageLines = 5000

type nodeRow struct {
	view.Node
	Started, Finished time.Time
}

type logGroup struct {
	NodeID  string
	Attempt int
	// Anchor is the element id: log-NODE for a node's first group, then
	// log-NODE-ATTEMPT.
	Anchor string
	Lines  []state.LogLine
}

type runPage struct {
	base
	Run       view.Run
	Now       time.Time
	Started   time.Time
	Finished  time.Time
	Graph     *Graph
	PlanError string
	Nodes     []nodeRow
	Logs      []logGroup
	LineCount int
	Omitted   int
	Live      bool
	// Query filters the log lines (case-insensitive substring); Matched
	// counts the lines that contain it.
	Query   string
	Matched int
}

func (h *Handler) runPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	run, nodes, err := h.q.RunDetail(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	lines, err := h.q.Logs(r.Context(), id, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := &runPage{base: h.base("Run " + id), Run: view.NewRun(*run), Now: h.opts.Clock(),
		Started: run.StartedAt, Finished: run.FinishedAt, LineCount: len(lines),
		Live: run.Status == state.StatusRunning}
	status := map[string]string{}
	for _, n := range nodes {
		status[n.NodeID] = n.Status
		p.Nodes = append(p.Nodes, nodeRow{Node: view.NewNode(n), Started: n.StartedAt, Finished: n.FinishedAt})
	}
	if len(run.Plan) > 0 {
		stored, err := plan.Decode(run.Plan)
		if err != nil {
			p.PlanError = err.Error()
		} else {
			p.Graph = layout(stored.Plan, status)
		}
	} else {
		p.PlanError = "this run has no stored plan"
	}
	if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
		// A filtered page is a snapshot: it does not follow the run.
		p.Query, p.Live = q, false
		lq := strings.ToLower(q)
		kept := lines[:0:0]
		for _, l := range lines {
			if strings.Contains(strings.ToLower(l.Text), lq) {
				kept = append(kept, l)
			}
		}
		lines = kept
		p.Matched = len(kept)
	}
	if len(lines) > maxPageLines {
		p.Omitted = len(lines) - maxPageLines
		lines = lines[p.Omitted:]
	}
	p.Logs = groupLogs(lines)
	h.render(w, http.StatusOK, "run", p)
}

// groupLogs splits lines into runs of one node and attempt, in order.
func groupLogs(lines []state.LogLine) []logGroup {
	var out []logGroup
	used := map[string]bool{}
	for _, l := range lines {
		if n := len(out); n == 0 || out[n-1].NodeID != l.NodeID || out[n-1].Attempt != l.Attempt {
			anchor := "log-" + l.NodeID
			if used[anchor] {
				anchor = fmt.Sprintf("log-%s-%d", l.NodeID, l.Attempt)
			}
			for used[anchor] {
				anchor += "-"
			}
			used[anchor] = true
			out = append(out, logGroup{NodeID: l.NodeID, Attempt: l.Attempt, Anchor: anchor})
		}
		out[len(out)-1].Lines = append(out[len(out)-1].Lines, l)
	}
	return out
}

// event is the data of one Server-Sent Event.
type nodeEvent struct {
	NodeID   string `json:"node_id"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
}

type lineEvent struct {
	NodeID  string `json:"node_id"`
	Attempt int    `json:"attempt"`
	Stream  string `json:"stream"`
	Text    string `json:"text"`
}

// runEvents streams a run as Server-Sent Events: "node" events (a node's
// status changed or was first seen), "line" events (a log line past
// ?from=N, the count the page rendered; the event id is the count after
// it, so a reconnecting browser goes on from Last-Event-ID) and "run"
// when the run's status changes; it ends with "end" once the run no
// longer runs, or after StreamFor (the browser reconnects).
func (h *Handler) runEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	from := 0
	if s := r.URL.Query().Get("from"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			h.fail(w, r, fmt.Errorf("%w: from=%q must be a whole number", errBadRequest, s))
			return
		}
		from = n
	}
	// A reconnecting browser sends the id of the last line it got.
	if n, err := strconv.Atoi(r.Header.Get("Last-Event-ID")); err == nil && n >= 0 {
		from = n
	}
	if _, _, err := h.q.RunDetail(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	send := func(event, eid string, v any) {
		b, _ := json.Marshal(v)
		if eid != "" {
			fmt.Fprintf(w, "id: %s\n", eid)
		}
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
	}
	seen := map[string]string{}
	lastRun := ""
	deadline := time.NewTimer(h.opts.StreamFor)
	defer deadline.Stop()
	tick := time.NewTicker(h.opts.Poll)
	defer tick.Stop()
	for {
		rv, nodes, err := h.q.RunDetail(r.Context(), id)
		if err != nil {
			return
		}
		for _, n := range nodes {
			key := n.Status + "/" + strconv.Itoa(n.Attempts)
			if seen[n.NodeID] != key {
				seen[n.NodeID] = key
				send("node", "", nodeEvent{NodeID: n.NodeID, Status: n.Status, Attempts: n.Attempts})
			}
		}
		lines, err := h.q.Logs(r.Context(), id, "")
		if err != nil {
			return
		}
		for i := from; i < len(lines); i++ {
			l := lines[i]
			send("line", strconv.Itoa(i+1), lineEvent{NodeID: l.NodeID, Attempt: l.Attempt, Stream: l.Stream, Text: l.Text})
		}
		if len(lines) > from {
			from = len(lines)
		}
		if rv.Display != lastRun {
			lastRun = rv.Display
			send("run", "", map[string]string{"status": rv.Display})
		}
		if rv.Status != state.StatusRunning {
			send("end", "", map[string]string{"status": rv.Display})
			flusher.Flush()
			return
		}
		flusher.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-deadline.C:
			return
		case <-tick.C:
		}
	}
}
