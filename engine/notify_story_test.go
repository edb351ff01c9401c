package engine_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/notify"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
)

// storyConfig: staging deploys the artifact when it says "good"; prod
// waits at a gate. notify blocks are appended from the second commit on.
const storyConfig = `
pipeline "svc" {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}
build "app" {
  step "compile" { run = "mkdir -p dist && cp src.txt dist/app" }
}
package "app" {
  artifact "bin" { path = "dist/app" }
}
environment "staging" {
  step "rollout" { run = "grep -q good ${release.artifacts.bin}" }
}
environment "prod" {
  requires = [environment.staging]
  gate "go" {
    approvers = ["carol@example.com"]
    timeout   = "1h"
  }
  step "rollout" { run = "echo rolled ${release.version}" }
}
`

const storyNotify = `
notify "chat" {
  webhook = env("CHAT_WEBHOOK")
  on      = ["run_started", "run_succeeded", "run_failed", "gate_waiting", "gate_approved", "gate_rejected",
             "gate_expired", "deploy_started", "deploy_succeeded", "deploy_failed", "rollback"]
}
notify "broken" {
  webhook = "http://deployer:hunter2@127.0.0.1:1/services/T0/B0/secret-token"
  on      = ["deploy_succeeded"]
}
`

// TestNotifyStory drives one story (runs, a gate waiting, approved,
// rejected and expired, deployments that succeed and fail, a rollback) and
// checks that a webhook on 127.0.0.1 receives every documented event
// kind, from the notify blocks of the trusted config: the rollback goes to
// a release built before the notify blocks existed. A broken webhook is
// logged without its credentials or path and fails nothing.
func TestNotifyStory(t *testing.T) {
	var mu sync.Mutex
	var got []notify.Message
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m notify.Message
		if err := json.NewDecoder(req.Body).Decode(&m); err != nil {
			t.Errorf("decoding a notification: %v", err)
		}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer hook.Close()
	received := func(kind, env string) []notify.Message {
		mu.Lock()
		defer mu.Unlock()
		var out []notify.Message
		for _, m := range got {
			if (kind == "" || m.Event == kind) && (env == "" || m.Environment == env) {
				out = append(out, m)
			}
		}
		return out
	}

	r := newRepo(t, nil)
	c1 := r.commit("alice@example.com", "release 1, before notify", map[string]string{"pipeline.hcl": storyConfig, "src.txt": "good 1\n"})
	clk := &clock{now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	var logs strings.Builder
	f := &fixture{repo: r, store: memory.New(), env: map[string]string{"CHAT_WEBHOOK": hook.URL}}
	t.Cleanup(func() { _ = f.store.Close() })
	f.eng = engine.New(engine.Options{Store: f.store, Runners: f.runners(), DefaultRunner: "local", ArtifactDir: f.artifacts(),
		Logger: hclog.New(&hclog.LoggerOptions{Output: &syncWriter{w: &logs}, Level: hclog.Warn}), Clock: clk.Now,
		Getenv: func(k string) (string, bool) { v, ok := f.env[k]; return v, ok }})
	c := ctx(t)
	run := func(wantCode int) string {
		t.Helper()
		clk.Add(time.Minute) // deployments of the story finish at distinct times
		var id string
		_, err := f.eng.Run(c, engine.RunRequest{Config: r.load(), Started: func(i engine.RunInfo) { id = i.Run.ID }})
		if exitCode(err) != wantCode {
			t.Fatalf("Run = %v (code %d); want code %d", err, exitCode(err), wantCode)
		}
		return id
	}

	run(3) // release 1.0.1 in staging, prod waits; no notify block yet
	if n := len(received("", "")); n != 0 {
		t.Fatalf("%d notifications before any notify block existed", n)
	}
	c2 := r.commit("alice@example.com", "add notifications", map[string]string{"pipeline.hcl": storyConfig + storyNotify, "src.txt": "good 2\n"})
	id := run(3)
	if _, err := f.eng.Approve(c, engine.Decision{RunID: id, Gate: "go", By: "carol@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Resume(c, engine.ResumeRequest{RunID: id}); err != nil {
		t.Fatal(err)
	}

	r.commit("alice@example.com", "three", map[string]string{"src.txt": "good 3\n"})
	id = run(3)
	if _, err := f.eng.Reject(c, engine.Decision{RunID: id, Gate: "go", By: "carol@example.com", Comment: "not today"}); err != nil {
		t.Fatal(err)
	}

	r.commit("alice@example.com", "four", map[string]string{"src.txt": "good 4\n"})
	id = run(3)
	clk.Add(2 * time.Hour)
	if _, err := f.eng.Resume(c, engine.ResumeRequest{RunID: id}); !errors.Is(err, engine.ErrGateExpired) {
		t.Fatalf("Resume past the gate's timeout = %v; want ErrGateExpired", err)
	}

	r.commit("alice@example.com", "five breaks staging", map[string]string{"src.txt": "bad\n"})
	run(1)

	if _, err := f.eng.Rollback(c, engine.RollbackRequest{DeployRequest: engine.DeployRequest{Config: r.load(), Environment: "staging"}, To: "1.0.1"}); err != nil {
		t.Fatalf("Rollback of staging to 1.0.1 = %v", err)
	}

	for _, kind := range dsl.NotifyEvents {
		if len(received(kind, "")) == 0 {
			t.Errorf("the webhook received no %s notification", kind)
		}
	}
	checkDeployed := func(what string, m notify.Message, version, previous string, commits []string) {
		t.Helper()
		var shas []string
		if m.Commits != nil {
			for _, c := range *m.Commits {
				shas = append(shas, c.SHA)
			}
		}
		if m.Version != version || m.PreviousVersion != previous || m.Commits == nil || !slices.Equal(shas, commits) {
			t.Errorf("%s = version %s, previous %s, commits %v; want %s, %s, %v", what, m.Version, m.PreviousVersion, shas, version, previous, commits)
		}
	}
	staging := received("deploy_succeeded", "staging")
	if len(staging) == 0 {
		t.Fatal("no deploy_succeeded for staging")
	}
	checkDeployed("deploy_succeeded of staging 1.0.2", staging[0], "1.0.2", "1.0.1", []string{c2})
	if rb := received("rollback", "staging"); len(rb) != 1 || rb[0].Version != "1.0.1" || rb[0].PreviousVersion != "1.0.4" || rb[0].Commit != c1 {
		t.Errorf("rollback notifications = %+v; want one to 1.0.1 (commit %s) from 1.0.4", rb, c1)
	}
	if ap := received("gate_approved", "prod"); len(ap) != 1 || ap[0].Actor != "carol@example.com" || ap[0].Gate != "go" {
		t.Errorf("gate_approved notifications = %+v; want one by carol@example.com at go", ap)
	}

	log := logs.String()
	if !strings.Contains(log, "notify=broken") || !strings.Contains(log, "url=http://127.0.0.1:1") {
		t.Errorf("the broken webhook is not logged with its host:\n%s", log)
	}
	for _, secret := range []string{"hunter2", "secret-token", "deployer"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log shows %q of the webhook URL:\n%s", secret, log)
		}
	}
}

// syncWriter serializes writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
