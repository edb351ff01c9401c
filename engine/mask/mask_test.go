package mask

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"strings"
	"testing"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestNewRefusesShortSecrets(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		wantErr bool
	}{
		{"none", nil, false},
		{"four characters", []string{"abcd"}, false},
		{"three characters", []string{"good-secret", "abc"}, true},
		{"empty", []string{""}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.secrets)
			if got := errors.Is(err, ErrSecretTooShort); got != tt.wantErr {
				t.Fatalf("New(%q) error = %v; want ErrSecretTooShort: %v", tt.secrets, err, tt.wantErr)
			}
			if err != nil {
				for _, s := range tt.secrets {
					if s != "" && strings.Contains(err.Error(), s) {
						t.Errorf("New(%q) error %q names the secret value %q", tt.secrets, err, s)
					}
				}
			}
		})
	}
}

func TestString(t *testing.T) {
	const secret = "s3cr3t-Value!"
	long := strings.Repeat("0123456789abcdef", 8) // wraps in base64(1)
	std := base64.StdEncoding.EncodeToString
	wrapped := std([]byte(long + "\n"))
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"no secrets", nil, "token=" + secret, "token=" + secret},
		{"plain", []string{secret}, "token=" + secret + " again " + secret, "token=*** again ***"},
		{"std base64", []string{secret}, "b64=" + std([]byte(secret)), "b64=***"},
		{"echo | base64", []string{secret}, std([]byte(secret + "\n")), "***"},
		{"url base64", []string{"??>>??>>"}, base64.URLEncoding.EncodeToString([]byte("??>>??>>")), "***"},
		{"raw base64", []string{secret}, base64.RawStdEncoding.EncodeToString([]byte(secret)), "***"},
		{"multi-line whole", []string{"line-one\nline-two"}, "x line-one\nline-two y", "x *** y"},
		{"multi-line each line", []string{"line-one\nline-two\nab"}, "line-two then line-one, ab stays", "*** then ***, ab stays"},
		{"crlf lines", []string{"first-line\r\nsecond-line"}, "second-line|first-line", "***|***"},
		{"longest first", []string{"abcd", "abcdefgh"}, "abcdefgh abcd", "*** ***"},
		{"wrapped base64 line", []string{long}, wrapped[:base64LineLen], "***"},
		{"unrelated text", []string{secret}, "nothing to see", "nothing to see"},
		{"basic auth offset 2", []string{secret}, "Authorization: Basic " + std([]byte("user:"+secret)), "Authorization: Basic dXNlcjp***"},
		{"base64 offset 1", []string{secret}, std([]byte("u" + secret + "!")), "dX***Eh"},
		{"base64 offset 0 embedded", []string{secret}, std([]byte(secret + "@host")), "***UBob3N0"},
		{"url base64 offset 2", []string{"??>>??>>??"}, base64.URLEncoding.EncodeToString([]byte("ab??>>??>>??")), "YWI***"},
		{"hex", []string{secret}, "x=" + hex.EncodeToString([]byte(secret)), "x=***"},
		{"HEX", []string{secret}, strings.ToUpper(hex.EncodeToString([]byte(secret))), "***"},
		{"url query", []string{"a b&c=d/e"}, "?t=" + url.QueryEscape("a b&c=d/e"), "?t=***"},
		{"url path", []string{"a b&c=d/e"}, "/" + url.PathEscape("a b&c=d/e"), "/***"},
		{"lower", []string{secret}, "bad value " + strings.ToLower(secret), "bad value ***"},
		{"upper", []string{secret}, strings.ToUpper(secret) + ".", "***."},
		{"json escaped", []string{`a"b<c>`}, `{"v":"a\"b\u003cc\u003e"}`, `{"v":"***"}`},
		{"json-escaped lower", []string{"Key<7>value"}, `{"v":"key\u003c7\u003evalue"}`, `{"v":"***"}`},
		{"short secret keeps base64 fragments", []string{"abcd"}, std([]byte("x abcd")), std([]byte("x abcd"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(tt.secrets)
			if err != nil {
				t.Fatalf("New(%q) = %v", tt.secrets, err)
			}
			if got := m.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNilMasker(t *testing.T) {
	var m *Masker
	if got := m.String("abc"); got != "abc" {
		t.Errorf("(*Masker)(nil).String(%q) = %q; want %q", "abc", got, "abc")
	}
	if !m.Empty() {
		t.Errorf("(*Masker)(nil).Empty() = false; want true")
	}
}

func TestWriter(t *testing.T) {
	const secret = "hunter2-secret"
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"whole lines", []string{"a " + secret + "\nb\n"}, []string{"a ***", "b"}},
		{"split across writes", []string{"pass=hunt", "er2-sec", "ret done\n"}, []string{"pass=*** done"}},
		{"partial last line flushed on close", []string{"x\ny " + secret}, []string{"x", "y ***"}},
		{"empty lines kept", []string{"\n\n"}, []string{"", ""}},
		{"byte at a time", strings.Split(secret+"\n", ""), []string{"***"}},
		{"multi-line secret written whole", []string{"k=" + secret + "\n"}, []string{"k=***"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New([]string{secret})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			w := m.Writer(LineFunc(func(line string) error { got = append(got, line); return nil }))
			for _, chunk := range tt.writes {
				if n, err := w.Write([]byte(chunk)); err != nil || n != len(chunk) {
					t.Fatalf("Write(%q) = %d, %v; want %d, nil", chunk, n, err, len(chunk))
				}
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close() = %v; want nil", err)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines after writes %q = %q; want %q", tt.writes, got, tt.want)
			}
		})
	}
}

func TestWriterMultiLineSecretAcrossLines(t *testing.T) {
	m, err := New([]string{"-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	w := m.Writer(To(&b))
	if _, err := w.Write([]byte("key:\n-----BEGIN KEY-----\nAAAABB")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("BBCCCC\n-----END KEY-----\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "key:\n***\n***\n***\n"
	if b.String() != want {
		t.Errorf("masked output = %q; want %q", b.String(), want)
	}
}

func TestWriterErrors(t *testing.T) {
	m, err := New([]string{"abcd"})
	if err != nil {
		t.Fatal(err)
	}
	errSink := errors.New("sink full")
	w := m.Writer(LineFunc(func(string) error { return errSink }))
	if _, err := w.Write([]byte("line\n")); !errors.Is(err, errSink) {
		t.Errorf("Write to failing sink = %v; want %v", err, errSink)
	}
	if err := w.Close(); !errors.Is(err, errSink) {
		t.Errorf("Close after failing sink = %v; want %v", err, errSink)
	}
	ok := m.Writer(LineFunc(func(string) error { return nil }))
	if err := ok.Close(); err != nil {
		t.Fatalf("Close() = %v; want nil", err)
	}
	if _, err := ok.Write([]byte("x")); err == nil {
		t.Errorf("Write after Close = nil; want an error")
	}
}

func BenchmarkWriter(b *testing.B) {
	m, err := New([]string{"first-secret", "second-secret", "third\nsecret-lines"})
	if err != nil {
		b.Fatal(err)
	}
	line := []byte(strings.Repeat("ordinary build output ", 4) + "second-secret\n")
	w := m.Writer(LineFunc(func(string) error { return nil }))
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := w.Write(line); err != nil {
			b.Fatal(err)
		}
	}
}
