package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/view"
)

// TestLogsJSONStream checks that the streamed `logs --json` document is
// byte for byte the one printDataJSON writes for the same lines.
func TestLogsJSONStream(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 5, time.UTC)
	all := []state.LogLine{
		{RunID: "r", NodeID: "build.a", Attempt: 1, Seq: 0, Stream: "stdout", Time: at, Text: "plain"},
		{RunID: "r", NodeID: "build.a", Attempt: 2, Seq: 1, Stream: "stderr", Time: at.Add(time.Second), Text: `quotes " and <html> & tabs	and é`},
		{RunID: "r", NodeID: "build.b", Attempt: 1, Seq: 0, Stream: "stdout", Text: ""},
	}
	for n := 0; n <= len(all); n++ {
		var want, got bytes.Buffer
		if err := printDataJSON(&want, view.NewLogs("r", "a<b", all[:n])); err != nil {
			t.Fatal(err)
		}
		doc := newLogsJSON(&got, "r", "a<b")
		for _, l := range all[:n] {
			if err := doc.line(l); err != nil {
				t.Fatal(err)
			}
		}
		if err := doc.close(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("streamed logs --json of %d lines =\n%s\nwant\n%s", n, got.String(), want.String())
		}
	}
}
