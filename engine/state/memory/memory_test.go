package memory_test

import (
	"errors"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
	"github.com/pipeline-cd/pipeline/engine/state/statetest"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestStore(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store { return memory.New() })
}

func TestClosed(t *testing.T) {
	s := memory.New()
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v; want nil", err)
	}
	if _, err := s.GetRun(t.Context(), "x"); !errors.Is(err, memory.ErrClosed) {
		t.Errorf("GetRun after Close = %v; want ErrClosed", err)
	}
	if err := s.CreateRun(t.Context(), &state.Run{ID: "x"}); !errors.Is(err, memory.ErrClosed) {
		t.Errorf("CreateRun after Close = %v; want ErrClosed", err)
	}
}
