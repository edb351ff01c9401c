package statetest

import (
	"context"
	"sync"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/state"
)

// OpenedTogether opens two stores at once with open, as two processes or
// two CI machines would (so both may run the migrations), fails t unless
// both open, closes them when t ends, and races them for one lock with
// LockContention.
func OpenedTogether(t *testing.T, open func(context.Context) (state.Store, error)) {
	t.Helper()
	stores := make([]state.Store, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() {
			stores[i], errs[i] = open(t.Context())
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open #%d = %v; want nil", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	LockContention(t, stores...)
}
