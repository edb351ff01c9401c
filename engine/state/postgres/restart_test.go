package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/postgres"
	"github.com/pipeline-cd/pipeline/internal/pgtest"
)

// TestSurvivesRestart writes and reads from four goroutines while a private
// PostgreSQL server is restarted twice with pg_ctl restart -m fast: every
// operation succeeds (the store retries), and retries were needed.
func TestSurvivesRestart(t *testing.T) {
	srv := pgtest.Start(t)
	s, err := postgres.Open(t.Context(), srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	var ops sync.Map
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("r-%d-%d", w, i)
				if err := s.CreateRun(t.Context(), &state.Run{ID: id, Pipeline: "fleet", Kind: "run", Status: state.StatusRunning}); err != nil {
					errs <- fmt.Errorf("CreateRun(%s): %w", id, err)
					return
				}
				if _, err := s.GetRun(t.Context(), id); err != nil {
					errs <- fmt.Errorf("GetRun(%s): %w", id, err)
					return
				}
				ops.Store(id, true)
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	for range 2 {
		time.Sleep(300 * time.Millisecond)
		if err := srv.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s.Retries() == 0 {
		t.Errorf("Retries() = 0 after two restarts under load; want the store to have retried")
	}
	runs, err := s.ListRuns(t.Context(), state.RunFilter{Pipeline: "fleet"})
	n := 0
	ops.Range(func(any, any) bool { n++; return true })
	if err != nil || len(runs) < n {
		t.Errorf("ListRuns = %d runs, %v; want at least the %d written", len(runs), err, n)
	}
	t.Logf("%d operations pairs through two restarts, %d retries", n, s.Retries())
}

// TestUnavailableAfterBudget stops the server: an operation fails with
// ErrUnavailable once the retry budget is spent, not before.
func TestUnavailableAfterBudget(t *testing.T) {
	srv := pgtest.Start(t)
	s, err := postgres.Open(t.Context(), srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetRetryBudget(time.Second)
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.GetRun(t.Context(), "r-1")
	if !errors.Is(err, state.ErrUnavailable) {
		t.Fatalf("GetRun with the server stopped = %v; want ErrUnavailable", err)
	}
	if d := time.Since(start); d < 500*time.Millisecond || d > 5*time.Second {
		t.Errorf("GetRun gave up after %s; want about the 1s budget", d)
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRun(t.Context(), "r-1"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("GetRun after the server is back = %v; want ErrNotFound", err)
	}
}
