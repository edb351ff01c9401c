// Package notify posts Slack-compatible JSON messages to the webhooks of a
// pipeline's notify blocks. A failing webhook is logged and never fails the
// deployment that triggered it.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Hook is one evaluated notify block.
type Hook struct {
	Name string
	URL  string
	// On lists the events the hook wants (see dsl.NotifyEvents).
	On []string
}

// Event is something to tell people about.
type Event struct {
	// Kind is one of dsl.NotifyEvents, e.g. "deploy_succeeded".
	Kind        string
	Pipeline    string
	Environment string
	Version     string
	RunID       string
	Gate        string
	Actor       string
	// Text is the human sentence; Send composes one when empty.
	Text string
}

// Message is the JSON body posted: Slack's "text" plus structured fields
// for other consumers.
type Message struct {
	Text        string `json:"text"`
	Event       string `json:"event"`
	Pipeline    string `json:"pipeline"`
	Environment string `json:"environment,omitempty"`
	Version     string `json:"version,omitempty"`
	RunID       string `json:"run_id,omitempty"`
	Gate        string `json:"gate,omitempty"`
	Actor       string `json:"actor,omitempty"`
}

// Notifier posts events to hooks. It is safe for concurrent use.
type Notifier struct {
	Hooks  []Hook
	Client *http.Client // nil: a client with a 10 s timeout
	Logger hclog.Logger // nil: discard
}

// Send posts e to every hook subscribed to e.Kind and returns how many
// posts succeeded. Failures (unreachable URL, non-2xx answer) are logged
// as warnings; Send never returns an error, by design: a broken chat
// integration must not fail a deployment.
func (n *Notifier) Send(ctx context.Context, e Event) int {
	if n == nil {
		return 0
	}
	logger := n.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	body, err := json.Marshal(message(e))
	if err != nil {
		logger.Warn("notify: cannot encode message", "event", e.Kind, "error", err)
		return 0
	}
	ok := 0
	for _, h := range n.Hooks {
		if !slices.Contains(h.On, e.Kind) || h.URL == "" {
			continue
		}
		if err := n.post(ctx, h.URL, body); err != nil {
			logger.Warn("notify: webhook failed; the pipeline goes on", "notify", h.Name, "event", e.Kind, "error", err)
			continue
		}
		ok++
	}
	return ok
}

func (n *Notifier) post(ctx context.Context, url string, body []byte) error {
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s: %s", resp.Status, strings.TrimSpace(string(snippet)))
	}
	return nil
}

func message(e Event) Message {
	m := Message{Text: e.Text, Event: e.Kind, Pipeline: e.Pipeline, Environment: e.Environment,
		Version: e.Version, RunID: e.RunID, Gate: e.Gate, Actor: e.Actor}
	if m.Text == "" {
		m.Text = compose(e)
	}
	return m
}

func compose(e Event) string {
	what := e.Pipeline
	if e.Version != "" {
		what += " " + e.Version
	}
	switch e.Kind {
	case "gate_waiting":
		return fmt.Sprintf(":hourglass: %s is waiting at gate %s of %s: pipeline approve %s %s", what, e.Gate, e.Environment, e.RunID, e.Gate)
	case "gate_approved", "gate_rejected":
		return fmt.Sprintf("%s: gate %s of %s %s by %s", what, e.Gate, e.Environment, strings.TrimPrefix(e.Kind, "gate_"), e.Actor)
	case "gate_expired":
		return fmt.Sprintf("%s: gate %s of %s expired", what, e.Gate, e.Environment)
	case "deploy_started", "deploy_succeeded", "deploy_failed":
		return fmt.Sprintf("%s: deployment to %s %s", what, e.Environment, strings.TrimPrefix(e.Kind, "deploy_"))
	case "rollback":
		return fmt.Sprintf(":rewind: %s rolled back %s to %s", e.Actor, e.Environment, what)
	}
	return fmt.Sprintf("%s: %s (run %s)", what, strings.ReplaceAll(e.Kind, "_", " "), e.RunID)
}
