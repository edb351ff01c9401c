package plan

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pipeline-cd/pipeline/dsl"
)

// validateAndPlan loads src with dsl (decode, validate) and plans it.
func validateAndPlan(tb testing.TB, src []byte) *Plan {
	cfg, diags := dsl.NewParser().LoadDir(fstest.MapFS{"pipeline.hcl": {Data: src}}, dsl.LoadOptions{
		Git:    fixtureGit,
		Getenv: func(string) (string, bool) { return "", false },
	})
	if diags.HasErrors() {
		tb.Fatalf("LoadDir: %v", diags)
	}
	p, err := New(cfg, Options{})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return p
}

// heapPeak samples the heap while fn runs and returns the largest size
// seen, in bytes, above the heap before fn started.
func heapPeak(fn func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	var peak uint64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	fn()
	close(stop)
	wg.Wait()
	peak = max(peak, read())
	if peak < base {
		return 0
	}
	return peak - base
}

func benchPlan(b *testing.B, steps int) {
	src := []byte(genLarge(steps))
	// One untimed run measures the peak heap; b.Loop resets the timer.
	var planned int
	peak := heapPeak(func() { planned = len(validateAndPlan(b, src).Steps()) })
	b.ReportAllocs()
	for b.Loop() {
		validateAndPlan(b, src)
	}
	b.ReportMetric(float64(planned), "steps")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkPlan5k validates and plans a generated config of ~5,000 steps.
func BenchmarkPlan5k(b *testing.B) { benchPlan(b, 5000) }

// BenchmarkPlan50k validates and plans a generated config of ~50,000 steps.
func BenchmarkPlan50k(b *testing.B) { benchPlan(b, 50000) }

// BenchmarkPlanScaling times 5,000 and 50,000 steps back to back and
// reports the ratio (goal: at most 12).
func BenchmarkPlanScaling(b *testing.B) {
	small, large := []byte(genLarge(5000)), []byte(genLarge(50000))
	var ts, tl time.Duration
	for b.Loop() {
		start := time.Now()
		validateAndPlan(b, small)
		ts += time.Since(start)
		start = time.Now()
		validateAndPlan(b, large)
		tl += time.Since(start)
	}
	b.ReportMetric(ts.Seconds()/float64(b.N), "s/5k")
	b.ReportMetric(tl.Seconds()/float64(b.N), "s/50k")
	b.ReportMetric(float64(tl)/float64(ts), "ratio")
}

// BenchmarkNew5k plans an already loaded config of ~5,000 steps: the
// share of New alone in BenchmarkPlan5k.
func BenchmarkNew5k(b *testing.B) {
	cfg, diags := dsl.NewParser().LoadDir(fstest.MapFS{"pipeline.hcl": {Data: []byte(genLarge(5000))}}, dsl.LoadOptions{
		Git:    fixtureGit,
		Getenv: func(string) (string, bool) { return "", false },
	})
	if diags.HasErrors() {
		b.Fatalf("LoadDir: %v", diags)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(cfg, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
