package outputs

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	// Registers the -update flag that go test ./... -update passes to every package.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"lines", "sha=abc\nversion=1.2=3\n\nempty=\n", map[string]string{"sha": "abc", "version": "1.2=3", "empty": ""}},
		{"last wins", "a=1\na=2\n", map[string]string{"a": "2"}},
		{"multi-line", "notes<<EOF\nline one\nline=two\nEOF\nafter=x\n", map[string]string{"notes": "line one\nline=two", "after": "x"}},
		{"crlf", "a=1\r\nb<<END\r\nx\r\nEND\r\n", map[string]string{"a": "1", "b": "x"}},
		{"value with <<", "cmd=a<<b\n", map[string]string{"cmd": "a<<b"}},
	}
	for _, tt := range tests {
		got, err := Parse(strings.NewReader(tt.in))
		if err != nil {
			t.Errorf("Parse(%s) error = %v; want none", tt.name, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%s) (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no equals", "hello\n", "line 1"},
		{"bad key", "a=1\n1x=2\n", "line 2"},
		{"unclosed", "a<<EOF\nx\n", "never closed"},
		{"no delimiter", "a<<\n", "no delimiter"},
		{"too large", strings.Repeat("a", MaxSize+1), "more than"},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.in))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%s) error = %v; want ErrInvalid mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	in := map[string]string{"b": "2", "a": "multi\nline"}
	b := Encode(in)
	if got, want := string(b), `{"version":1,"outputs":[{"key":"a","value":"multi\nline"},{"key":"b","value":"2"}]}`; got != want {
		t.Errorf("Encode = %s; want %s", got, want)
	}
	got, err := Decode(b)
	if err != nil || !cmp.Equal(got, in) {
		t.Errorf("Decode(Encode(%v)) = %v, %v; want the same map", in, got, err)
	}
	if _, err := Decode([]byte(`{"version":2,"outputs":[]}`)); !errors.Is(err, ErrInvalid) {
		t.Errorf("Decode(version 2) error = %v; want ErrInvalid", err)
	}
}

func TestEncodeDecodeRelease(t *testing.T) {
	in := map[string]map[string]string{"stamp": {"sha": "abc"}, "bundle": {"size": "12", "notes": "a\nb"}}
	b := EncodeRelease(in)
	if got, want := string(b), `{"version":1,"steps":[{"step":"bundle","outputs":[{"key":"notes","value":"a\nb"},{"key":"size","value":"12"}]},{"step":"stamp","outputs":[{"key":"sha","value":"abc"}]}]}`; got != want {
		t.Errorf("EncodeRelease = %s; want %s", got, want)
	}
	got, err := DecodeRelease(b)
	if err != nil || !cmp.Equal(got, in) {
		t.Errorf("DecodeRelease(EncodeRelease(%v)) = %v, %v; want the same", in, got, err)
	}
	if EncodeRelease(nil) != nil {
		t.Errorf("EncodeRelease(nil) is not nil")
	}
	if got, err := DecodeRelease(nil); err != nil || len(got) != 0 {
		t.Errorf("DecodeRelease(nil) = %v, %v; want empty", got, err)
	}
}
