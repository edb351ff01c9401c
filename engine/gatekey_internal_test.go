package engine

import (
	"errors"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
)

// TestGetGateLegacyName checks that a gate recorded under its bare name (by
// a version that did not key gates by environment) is still found for its
// own environment, and only for it.
func TestGetGateLegacyName(t *testing.T) {
	ctx := t.Context()
	store := memory.New()
	t.Cleanup(func() { _ = store.Close() })
	e := New(Options{Store: store, Logger: hclog.NewNullLogger()})
	if err := store.CreateRun(ctx, &state.Run{ID: "r-1", Pipeline: "webapp", Status: state.StatusWaiting}); err != nil {
		t.Fatal(err)
	}
	for _, g := range []*state.Gate{
		{RunID: "r-1", Pipeline: "webapp", Environment: "production", Name: "go-live", Status: gateWaiting},
		{RunID: "r-1", Pipeline: "webapp", Environment: "beta", Name: "beta/sign-off", Status: gateWaiting},
	} {
		if err := store.PutGate(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		env, name, wantName string
	}{
		{"production", "go-live", "go-live"},
		{"beta", "sign-off", "beta/sign-off"},
		{"beta", "go-live", ""},
		{"production", "sign-off", ""},
	}
	for _, tt := range tests {
		t.Run(tt.env+"/"+tt.name, func(t *testing.T) {
			g, err := e.getGate(ctx, "r-1", tt.env, tt.name)
			if tt.wantName == "" {
				if !errors.Is(err, state.ErrNotFound) {
					t.Errorf("getGate(%q, %q) = %+v, %v; want state.ErrNotFound", tt.env, tt.name, g, err)
				}
				return
			}
			if err != nil || g.Name != tt.wantName || g.Environment != tt.env {
				t.Errorf("getGate(%q, %q) = %+v, %v; want the gate recorded as %q", tt.env, tt.name, g, err, tt.wantName)
			}
		})
	}
}
