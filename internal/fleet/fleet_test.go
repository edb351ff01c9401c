package fleet_test

import (
	"flag"
	"os"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/clitest"
	"github.com/pipeline-cd/pipeline/internal/fleet"

	// Registers the -update flag that go test ./... -update passes to every package.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

// The test suite's size is small; `make fleet` passes the default size.
var (
	procs      = flag.Int("fleet.procs", 6, "concurrent pipeline workers")
	components = flag.Int("fleet.components", 3, "components (pipelines)")
	iterations = flag.Int("fleet.iterations", 2, "deliveries per worker")
	restarts   = flag.Int("fleet.restarts", 1, "PostgreSQL restarts (pg_ctl restart -m fast) during the run")
	kills      = flag.Int("fleet.kills", 1, "pipeline processes killed with SIGKILL during the run")
	seed       = flag.Int64("fleet.seed", 1, "random seed")
)

func TestMain(m *testing.M) { os.Exit(clitest.Main(m)) }

// TestFleet runs pipeline processes against one private PostgreSQL server
// with faults injected, and requires every delivery to finish and every
// invariant of the store to hold.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("the fleet runs real processes against a private PostgreSQL server")
	}
	rep := fleet.Run(t, fleet.Config{Binary: clitest.Binary(t), Procs: *procs, Components: *components,
		Iterations: *iterations, Restarts: *restarts, Kills: *kills, Seed: *seed})
	t.Log("\n" + rep.String())
	if len(rep.Failures) > 0 {
		t.Errorf("%d deliveries failed", len(rep.Failures))
	}
	if rep.Check == nil || !rep.Check.OK() {
		t.Errorf("the store's invariants do not hold")
	}
	if want := *procs * *iterations; rep.Deliveries+rep.Superseded != want || rep.Deliveries == 0 {
		t.Errorf("%d deliveries reached production and %d were refused as superseded; want %d in all, some delivered", rep.Deliveries, rep.Superseded, want)
	}
	if rep.Restarted != *restarts || rep.Killed != *kills {
		t.Errorf("faults injected: %d restarts, %d kills; want %d and %d", rep.Restarted, rep.Killed, *restarts, *kills)
	}
}
