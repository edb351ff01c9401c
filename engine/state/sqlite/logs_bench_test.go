package sqlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

// BenchmarkLogs appends 64 MiB of log lines in batches of 1 MiB (as the
// scheduler does) and streams them back; it reports the throughput of the
// whole and the database growth over the raw size.
func BenchmarkLogs(b *testing.B) {
	const total = 64 << 20
	for i := 0; i < b.N; i++ {
		path := filepath.Join(b.TempDir(), "state.db")
		s, err := sqlite.Open(b.Context(), path, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.CreateRun(b.Context(), &state.Run{ID: "r", Pipeline: "p", StartedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
		before := dirSize(b, filepath.Dir(path))
		b.StartTimer()
		start := time.Now()
		var batch []state.LogLine
		size, seq := 0, int64(0)
		for raw := 0; raw < total; {
			text := fmt.Sprintf("2026-12-04T10:00:00Z INFO request handled path=/api/v1/items status=200 bytes=4321 id=%d", seq)
			batch = append(batch, state.LogLine{RunID: "r", NodeID: "build.out.print", Attempt: 1, Seq: seq, Stream: "stdout", Time: start.Add(time.Duration(seq)), Text: text})
			seq++
			size += len(text) + 1
			raw += len(text) + 1
			if size >= 1<<20 {
				if err := s.AppendLogs(b.Context(), batch); err != nil {
					b.Fatal(err)
				}
				batch, size = batch[:0], 0
			}
		}
		if err := s.AppendLogs(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		n := int64(0)
		if err := s.StreamLogs(b.Context(), "r", "", func(state.LogLine) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if n != seq {
			b.Fatalf("streamed %d lines; want %d", n, seq)
		}
		s.Close()
		b.ReportMetric(float64(total)/elapsed.Seconds()/1e6, "MB/s")
		b.ReportMetric(float64(dirSize(b, filepath.Dir(path))-before)/float64(total), "stored/raw")
	}
}

func dirSize(b *testing.B, dir string) int64 {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			n += info.Size()
		}
	}
	return n
}
