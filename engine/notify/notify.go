// Package notify posts Slack-compatible JSON messages to the webhooks of a
// pipeline's notify blocks. A failing webhook is logged as a warning that
// names the hook and the URL's scheme and host only (never its path, query
// or credentials, which often hold the webhook's secret), and never fails
// the deployment that triggered it. Each post is bounded by Timeout.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/dsl"
)

// Timeout bounds one webhook post (connect, send and read the answer).
const Timeout = 10 * time.Second

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
	// Commit is the commit of the release deployed (deploy_* and rollback).
	Commit string
	// PreviousVersion is the version live in Environment before this
	// deployment ("" for the first one); Commits are the commits the
	// deployment carries compared with it, newest first (deploy_* and
	// rollback). An error tracker records them as a deployment marker.
	PreviousVersion string
	Commits         []Commit
	// Text is the human sentence; Send composes one when empty.
	Text string
}

// Commit is one git commit a deployment carries.
type Commit struct {
	SHA     string `json:"sha"`
	Author  string `json:"author"`
	Subject string `json:"subject"`
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
	Commit      string `json:"commit,omitempty"`
	// PreviousVersion and Commits are set on deploy_* and rollback
	// events; commits is [] (not absent) when the deployment carries none.
	PreviousVersion string    `json:"previous_version,omitempty"`
	Commits         *[]Commit `json:"commits,omitempty"`
}

// Notifier posts events to hooks. It is safe for concurrent use.
type Notifier struct {
	Hooks  []Hook
	Client *http.Client // nil: a client with Timeout
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
	// The hooks are posted to in parallel: a dead one costs at most
	// Timeout, however many there are.
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		ok int
	)
	for _, h := range n.Hooks {
		if !slices.Contains(h.On, e.Kind) || h.URL == "" {
			continue
		}
		wg.Add(1)
		go func(h Hook) {
			defer wg.Done()
			if err := n.post(ctx, h.URL, body); err != nil {
				logger.Warn("notify: webhook failed; the pipeline goes on", "notify", h.Name, "event", e.Kind, "url", Redact(h.URL), "error", err)
				return
			}
			mu.Lock()
			ok++
			mu.Unlock()
		}(h)
	}
	wg.Wait()
	return ok
}

// Redact returns the scheme and host of a webhook URL, without
// credentials, path or query: what a log may show of it.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host
}

func (n *Notifier) post(ctx context.Context, target string, body []byte) error {
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: Timeout}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return errors.New("the URL is not valid")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error repeats the whole URL, secret path and all.
		var ue *url.Error
		if errors.As(err, &ue) {
			if ue.Timeout() {
				return fmt.Errorf("no answer within %s", Timeout)
			}
			return ue.Err
		}
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
		Version: e.Version, RunID: e.RunID, Gate: e.Gate, Actor: e.Actor, Commit: e.Commit, PreviousVersion: e.PreviousVersion}
	if strings.HasPrefix(e.Kind, "deploy_") || e.Kind == "rollback" {
		cs := append([]Commit{}, e.Commits...)
		m.Commits = &cs
	}
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
		s := fmt.Sprintf("%s: deployment to %s %s", what, e.Environment, strings.TrimPrefix(e.Kind, "deploy_"))
		if e.PreviousVersion != "" {
			s += fmt.Sprintf(" (previously %s, %d commits)", e.PreviousVersion, len(e.Commits))
		}
		return s
	case "rollback":
		s := fmt.Sprintf(":rewind: %s rolled back %s to %s", e.Actor, e.Environment, what)
		if e.PreviousVersion != "" {
			s += " from " + e.PreviousVersion
		}
		return s
	}
	return fmt.Sprintf("%s: %s (run %s)", what, strings.ReplaceAll(e.Kind, "_", " "), e.RunID)
}

// HooksOf evaluates the webhooks of cfg's notify blocks in scope. A
// webhook that cannot be evaluated (an error, or a value known only later)
// is left out with a warning. Pass the trusted config: its notify blocks
// decide who is told, not those of the commit being run.
func HooksOf(cfg *dsl.Config, scope dsl.Scope, logger hclog.Logger) []Hook {
	if cfg == nil {
		return nil
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	var hooks []Hook
	for _, nb := range cfg.Notifies {
		t, diags := cfg.EvalText(nb.Webhook, scope)
		if diags.HasErrors() || !t.Known {
			logger.Warn("notify: the webhook URL cannot be evaluated; nothing is sent to it", "notify", nb.Name)
			continue
		}
		hooks = append(hooks, Hook{Name: nb.Name, URL: t.Value, On: nb.On})
	}
	return hooks
}
