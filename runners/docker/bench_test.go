package docker

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
)

// benchSteps is how many steps one benchmark iteration runs in sequence.
const benchSteps = 30

// BenchmarkDockerRunnerTrivial runs 30 `true` steps in sequence through the
// Runner, then waits for the background removals, so one iteration costs
// what a process running those steps and exiting cleanly would.
func BenchmarkDockerRunnerTrivial(b *testing.B) {
	r, _ := newTestRunner(b, Options{})
	ctx := context.Background()
	ws := b.TempDir()
	run := runID(b)
	for b.Loop() {
		for range benchSteps {
			step := &runners.Step{ID: "true", RunID: run, Image: testenv.TestImage, Command: []string{"true"}, Workspace: ws}
			res, err := r.Run(ctx, step, io.Discard, io.Discard)
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("Run(true) = %+v, %v", res, err)
			}
		}
		if err := r.Wait(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*benchSteps), "ms/step")
}

// BenchmarkRawAPI does the same 30 steps with nothing but the raw client:
// create, attach, start, wait, remove, with the very container config the
// Runner sends, so the ratio of the two benchmarks is the Runner's overhead.
func BenchmarkRawAPI(b *testing.B) {
	r, cli := newTestRunner(b, Options{})
	ctx := context.Background()
	step := &runners.Step{ID: "true", RunID: runID(b), Image: testenv.TestImage, Command: []string{"true"}, Workspace: b.TempDir()}
	spec, err := r.translate(step)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for range benchSteps {
			rawStep(ctx, b, cli, spec)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*benchSteps), "ms/step")
}

// rawStep runs one container through the bare API: create, attach, start,
// wait, remove, with the container config the Runner would send.
func rawStep(ctx context.Context, b *testing.B, cli Client, spec *containerSpec) {
	c, err := cli.ContainerCreate(ctx, spec.config, spec.host, nil, nil, "")
	if err != nil {
		b.Fatal(err)
	}
	att, err := cli.ContainerAttach(ctx, c.ID, container.AttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		b.Fatal(err)
	}
	if err := cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		b.Fatal(err)
	}
	waitC, errC := cli.ContainerWait(ctx, c.ID, container.WaitConditionNotRunning)
	select {
	case w := <-waitC:
		if w.StatusCode != 0 {
			b.Fatalf("exit %d", w.StatusCode)
		}
	case err := <-errC:
		b.Fatal(err)
	}
	if _, err := stdcopy.StdCopy(io.Discard, io.Discard, att.Reader); err != nil {
		b.Fatal(err)
	}
	att.Close()
	if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRunnerVsRawInterleaved alternates one step through the Runner and
// one through the bare API, 30 times each per iteration, so that both sides
// see the same machine load; the Runner's side includes waiting for its
// background removals at the end. It reports both per-step costs and their
// ratio ("runner/raw"), the engine's overhead on a container.
func BenchmarkRunnerVsRawInterleaved(b *testing.B) {
	r, cli := newTestRunner(b, Options{})
	ctx := context.Background()
	ws := b.TempDir()
	run := runID(b)
	step := &runners.Step{ID: "true", RunID: run, Image: testenv.TestImage, Command: []string{"true"}, Workspace: ws}
	spec, err := r.translate(step)
	if err != nil {
		b.Fatal(err)
	}
	var runnerTime, rawTime time.Duration
	for b.Loop() {
		for range benchSteps {
			start := time.Now()
			res, err := r.Run(ctx, step, io.Discard, io.Discard)
			if err != nil || res.ExitCode != 0 {
				b.Fatalf("Run(true) = %+v, %v", res, err)
			}
			runnerTime += time.Since(start)
			start = time.Now()
			rawStep(ctx, b, cli, spec)
			rawTime += time.Since(start)
		}
		start := time.Now()
		if err := r.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		runnerTime += time.Since(start)
	}
	steps := float64(b.N * benchSteps)
	b.ReportMetric(float64(runnerTime.Milliseconds())/steps, "runner-ms/step")
	b.ReportMetric(float64(rawTime.Milliseconds())/steps, "raw-ms/step")
	b.ReportMetric(runnerTime.Seconds()/rawTime.Seconds(), "runner/raw")
}
