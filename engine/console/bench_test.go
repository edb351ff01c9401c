package console_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/console"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

// BenchmarkOverview renders the overview over a real SQLite store with
// 200 components x 5 environments (4 deployments each: 4,000 in all, and
// a waiting gate on every fifth component). make bench reports it.
func BenchmarkOverview(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "state.db"), nil)
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })
	envs := []string{"dev", "test", "staging", "canary", "production"}
	seedMany(b, st, 200, envs, 4)
	now := at(20)
	clock := func() time.Time { return now }
	h := console.New(console.Options{Querier: engine.New(engine.Options{Store: st, Clock: clock}), Clock: clock})
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != 200 {
			b.Fatalf("GET / = %d", rec.Code)
		}
	}
}

// TestOverviewManyComponents is the small version of BenchmarkOverview:
// every component gets its row and every environment its column.
func TestOverviewManyComponents(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	seedMany(t, st, 12, []string{"dev", "test", "staging", "canary", "production"}, 1)
	srv := newServer(t, st)
	code, body := get(t, srv, "GET", "/")
	require.Equal(t, 200, code)
	require.Contains(t, body, "13 of 13 components")
	require.Contains(t, body, `<a href="/?component=svc-011">svc-011</a>`)
	for _, env := range []string{"dev", "test", "staging", "canary", "production"} {
		require.Contains(t, body, `<th scope="col">`+env+`</th>`)
	}
}

// BenchmarkEnvironmentPage renders an environment page 18 pages deep (the
// newest 1,000 are reachable) over a real SQLite store holding 5,000 deployments
// of one component in that environment. make bench reports it.
func BenchmarkEnvironmentPage(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "state.db"), nil)
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })
	seedMany(b, st, 1, []string{"production"}, 5000)
	now := at(20)
	clock := func() time.Time { return now }
	h := console.New(console.Options{Querier: engine.New(engine.Options{Store: st, Clock: clock}), Clock: clock})
	for _, path := range []string{"/environments/svc-000/production", "/environments/svc-000/production?after=d-svc-000-production-4100"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		require.Equal(b, 200, rec.Code, path)
	}
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/environments/svc-000/production?after=d-svc-000-production-4100", nil))
		if rec.Code != 200 {
			b.Fatalf("GET = %d", rec.Code)
		}
	}
}
