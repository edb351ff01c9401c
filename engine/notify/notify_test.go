package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestSend(t *testing.T) {
	var mu sync.Mutex
	var got []Message
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m Message
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q; want application/json", ct)
		}
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("decoding body: %v", err)
		}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer ok.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such hook", http.StatusNotFound)
	}))
	defer broken.Close()

	var logs strings.Builder
	n := &Notifier{
		Hooks: []Hook{
			{Name: "chat", URL: ok.URL, On: []string{"deploy_succeeded", "gate_waiting"}},
			{Name: "broken", URL: broken.URL, On: []string{"deploy_succeeded"}},
			{Name: "closed", URL: "http://127.0.0.1:1/hook", On: []string{"deploy_succeeded"}},
		},
		Logger: hclog.New(&hclog.LoggerOptions{Output: &logs}),
	}
	tests := []struct {
		event    Event
		wantOK   int
		wantText string
	}{
		{Event{Kind: "deploy_succeeded", Pipeline: "webapp", Environment: "beta", Version: "1.0.3"}, 1, "webapp 1.0.3: deployment to beta succeeded"},
		{Event{Kind: "gate_waiting", Pipeline: "webapp", Environment: "production", Gate: "go-live", RunID: "r-1"}, 1, "pipeline approve r-1 go-live"},
		{Event{Kind: "rollback", Pipeline: "webapp"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.event.Kind, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			if n := n.Send(context.Background(), tt.event); n != tt.wantOK {
				t.Errorf("Send(%s) = %d; want %d", tt.event.Kind, n, tt.wantOK)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != tt.wantOK {
				t.Fatalf("webhook received %d messages; want %d", len(got), tt.wantOK)
			}
			if tt.wantOK > 0 && (!strings.Contains(got[0].Text, tt.wantText) || got[0].Event != tt.event.Kind) {
				t.Errorf("message = %+v; want event %s and text containing %q", got[0], tt.event.Kind, tt.wantText)
			}
		})
	}
	for _, want := range []string{"notify=broken", "404", "notify=closed"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q does not mention %q", logs.String(), want)
		}
	}
}

func TestSendNilNotifier(t *testing.T) {
	var n *Notifier
	if got := n.Send(context.Background(), Event{Kind: "rollback"}); got != 0 {
		t.Errorf("(*Notifier)(nil).Send = %d; want 0", got)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://bot:s3cret@hooks.example.com/services/T0/B0/token?x=1", "https://hooks.example.com"},
		{"http://127.0.0.1:8080/hook", "http://127.0.0.1:8080"},
		{"not a url", "(unparsable URL)"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestMessageDeploymentFields: deploy_* and rollback messages carry the
// commit, the previous version and the commits ([] when none); other
// events leave them out.
func TestMessageDeploymentFields(t *testing.T) {
	tests := []struct {
		event Event
		want  string
	}{
		{Event{Kind: "deploy_succeeded", Pipeline: "p", Environment: "prod", Version: "1.0.2", Commit: "c2", PreviousVersion: "1.0.1",
			Commits: []Commit{{SHA: "c2", Author: "a@example.com", Subject: "fix"}}},
			`"commit":"c2","previous_version":"1.0.1","commits":[{"sha":"c2","author":"a@example.com","subject":"fix"}]`},
		{Event{Kind: "rollback", Pipeline: "p", Environment: "prod", Version: "1.0.1"}, `"commits":[]`},
		{Event{Kind: "gate_approved", Pipeline: "p", Environment: "prod", Gate: "go", Actor: "carol"}, `"actor":"carol"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(message(tt.event))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), tt.want) {
			t.Errorf("message(%s) = %s; want it to contain %s", tt.event.Kind, b, tt.want)
		}
	}
}
