package engine_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
)

func TestWaitAtGate(t *testing.T) {
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": webapp})
	f := newFixture(t, r)
	c := ctx(t)
	type outcome struct {
		res *engine.RunResult
		err error
	}
	done := make(chan outcome, 1)
	ids := make(chan string, 1)
	go func() {
		res, err := f.eng.Run(c, engine.RunRequest{Config: r.load(), Wait: true, Started: func(i engine.RunInfo) { ids <- i.Run.ID }})
		done <- outcome{res, err}
	}()
	id := <-ids
	deadline := time.Now().Add(20 * time.Second)
	for {
		if g, err := f.store.GetGate(c, id, "production/go-live"); err == nil && g.Status == "waiting" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the run never reached the gate")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// While the run waits at production's gate, internal and beta are
	// deployed and their locks are free.
	for _, env := range []string{"internal", "beta"} {
		if l, err := f.store.GetLock(c, state.LockKey("webapp", env)); err == nil && l.Holder != "" {
			t.Errorf("lock of %s while waiting at production's gate = %+v; want it released", env, l)
		}
		deps, _ := f.store.ListDeployments(c, state.DeploymentFilter{Pipeline: "webapp", Environment: env})
		if len(deps) != 1 || deps[0].Status != state.StatusSucceeded {
			t.Errorf("deployments of %s while waiting = %+v; want one succeeded", env, deps)
		}
	}
	for {
		if _, err := f.eng.Approve(c, engine.Decision{RunID: id, Gate: "go-live", By: "carol@example.com"}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gate never became approvable")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case o := <-done:
		if o.err != nil || o.res.Run.Status != state.StatusSucceeded {
			t.Fatalf("Run with Wait = %v, %v; want succeeded after the approval", o.res, o.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run with Wait did not finish after the approval")
	}
}

func TestNotify(t *testing.T) {
	var mu sync.Mutex
	var events []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m struct{ Event, Text string }
		_ = json.NewDecoder(req.Body).Decode(&m)
		mu.Lock()
		events = append(events, m.Event)
		mu.Unlock()
	}))
	defer hook.Close()
	cfg := gatedConfig(`"main"`, "") + `
notify "chat" {
  webhook = env("CHAT_WEBHOOK")
  on      = ["deploy_started", "deploy_succeeded"]
}
notify "broken" {
  webhook = "http://127.0.0.1:1/hook"
  on      = ["deploy_succeeded"]
}
`
	r := newRepo(t, nil)
	r.commit("alice@example.com", "one", map[string]string{"pipeline.hcl": cfg})
	t.Setenv("CHAT_WEBHOOK", hook.URL)
	f := newFixture(t, r)
	// The webhooks come from the trusted config, loaded by the engine with
	// its own Getenv.
	f.env["CHAT_WEBHOOK"] = hook.URL
	if _, err := f.eng.Run(ctx(t), engine.RunRequest{Config: r.load()}); err != nil {
		t.Fatalf("Run with a broken webhook = %v; want success (webhooks never fail a deployment)", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(events, ","); got != "deploy_started,deploy_succeeded" {
		t.Errorf("webhook events = %s; want deploy_started,deploy_succeeded", got)
	}
}
