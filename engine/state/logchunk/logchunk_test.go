package logchunk

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-cd/pipeline/engine/state"

	// Registers the -update flag that go test ./... -update passes to every package.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 123, time.UTC)
	var lines []state.LogLine
	for i := 0; i < 1000; i++ {
		stream := []string{"stdout", "stderr", "pipeline"}[i%3]
		lines = append(lines, state.LogLine{RunID: "r", NodeID: "build.a", Attempt: 2, Seq: int64(5 + i*2), Stream: stream,
			Time: t0.Add(time.Duration(i) * time.Millisecond), Text: fmt.Sprintf("line %d %s", i, strings.Repeat("é", i%7))})
	}
	lines = append(lines, state.LogLine{RunID: "r", NodeID: "build.a", Attempt: 2, Seq: 9999, Stream: "stdout", Text: ""})
	c, err := Encode(lines)
	if err != nil {
		t.Fatal(err)
	}
	if c.FirstSeq != 5 || c.LastSeq != 9999 || c.Lines != len(lines) {
		t.Errorf("Encode() = first %d last %d lines %d; want 5, 9999, %d", c.FirstSeq, c.LastSeq, c.Lines, len(lines))
	}
	var got []state.LogLine
	if err := Decode(c, func(l state.LogLine) error { got = append(got, l); return nil }); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(lines, got); d != "" {
		t.Errorf("Decode(Encode(lines)) mismatch (-want +got):\n%s", d)
	}
	if int64(len(c.Data))*2 > c.RawBytes {
		t.Errorf("chunk of %d raw bytes encodes to %d; want under half", c.RawBytes, len(c.Data))
	}
}

func TestEncodeRefuses(t *testing.T) {
	l := state.LogLine{RunID: "r", NodeID: "n", Attempt: 1, Seq: 1, Stream: "stdout"}
	other := l
	other.NodeID, other.Seq = "m", 2
	tests := []struct {
		name  string
		lines []state.LogLine
	}{
		{"empty", nil},
		{"mixed nodes", []state.LogLine{l, other}},
		{"duplicate seq", []state.LogLine{l, l}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Encode(tt.lines); err == nil {
				t.Errorf("Encode(%s) = nil error; want one", tt.name)
			}
		})
	}
	if _, err := Encode([]state.LogLine{l, l}); !errors.Is(err, state.ErrConflict) {
		t.Errorf("Encode(duplicate seq) = %v; want ErrConflict", err)
	}
}

func TestDecodeUnknownCodec(t *testing.T) {
	err := Decode(&Chunk{Codec: "zstd-v9"}, func(state.LogLine) error { return nil })
	if !errors.Is(err, ErrCodec) {
		t.Errorf("Decode(codec zstd-v9) = %v; want ErrCodec", err)
	}
}

func TestGroup(t *testing.T) {
	l := func(node string, seq int64) state.LogLine {
		return state.LogLine{RunID: "r", NodeID: node, Attempt: 1, Seq: seq}
	}
	got := Group([]state.LogLine{l("b", 1), l("a", 0), l("b", 0), l("a", 1)})
	want := [][]state.LogLine{{l("b", 0), l("b", 1)}, {l("a", 0), l("a", 1)}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Group mismatch (-want +got):\n%s", d)
	}
}
