package exec_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/exec"
	"github.com/pipeline-cd/pipeline/runners/local"
)

// BenchmarkParallelSleep runs 8 independent branches of `sleep 1` with
// parallelism 8 through the local runner and reports the ratio of the
// run's wall time to its critical path (the longest chain of measured step
// durations) as "wall/critical": 1.0 means scheduling cost nothing. It
// also reports "wall/sleep", the wall time over the nominal 1 s chain,
// which charges process start-up to the scheduler too.
func BenchmarkParallelSleep(b *testing.B) {
	var src strings.Builder
	src.WriteString("pipeline \"sleep\" {\n  image = \"pipeline-test/busybox:latest\"\n}\n")
	for i := range 8 {
		fmt.Fprintf(&src, "build \"b%d\" {\n  step \"sleep\" { run = \"sleep 1\" }\n}\n", i)
	}
	p := loadPlan(b, src.String())
	runner := local.New(local.Options{StopGrace: time.Second}, nil)
	workspace := b.TempDir()
	var ratio, wall, critical float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := exec.Run(context.Background(), p, exec.Options{
			Parallelism: 8, Runner: runner, Workspace: workspace, RunID: fmt.Sprintf("bench-%d", i),
		})
		if err != nil {
			b.Fatal(err)
		}
		if res.Status != exec.StatusSucceeded {
			b.Fatalf("run status %s", res.Status)
		}
		var cp time.Duration
		for _, id := range res.CriticalPath {
			cp += res.Nodes[id].Duration()
		}
		if cp < time.Second {
			b.Fatalf("critical path %v (%v) is shorter than one sleep", cp, res.CriticalPath)
		}
		wall += res.Wall.Seconds()
		critical += cp.Seconds()
		ratio += res.Wall.Seconds() / cp.Seconds()
	}
	b.ReportMetric(ratio/float64(b.N), "wall/critical")
	b.ReportMetric(wall/float64(b.N), "wall-s")
	b.ReportMetric(wall/float64(b.N)/time.Second.Seconds(), "wall/sleep")
	b.ReportMetric(critical/float64(b.N), "critical-s")
}
