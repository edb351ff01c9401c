package dsl

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/internal/benchgen"
)

// elfHeader returns n bytes shaped like the start of an executable: an ELF
// header with NUL bytes, then bytes that are not UTF-8.
func elfHeader(n int) []byte {
	b := []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x3e\x00")
	for i := 0; len(b) < n; i++ {
		b = append(b, byte(i*37+0x80))
	}
	return b[:n]
}

func TestNonTextPipelineFiles(t *testing.T) {
	const valid = "pipeline \"p\" {\n  image = \"alpine:3.20\"\n}\n\nbuild \"b\" {\n  step \"s\" {\n    run = \"make\"\n  }\n}\n"
	big := benchgen.Config(3000, 30)
	if len(big) <= 2*parseChunk {
		t.Fatalf("benchgen.Config is %d bytes; want more than %d so that it is parsed in runs", len(big), 2*parseChunk)
	}
	bigNUL := append(append([]byte{}, big...), []byte("# trailing \x00 byte\n")...)
	tests := []struct {
		name      string
		files     map[string][]byte
		bad       string // file named by the one error; "" for no error
		summary   string
		line, col int
		offset    int
		loaded    bool // the valid files still load: a pipeline block and stages
	}{
		{name: "300 bytes of an executable", files: map[string][]byte{"pipeline.hcl": elfHeader(300)},
			bad: "pipeline.hcl", summary: "Binary File", line: 1, col: 8, offset: 7},
		{name: "NUL on a later line", files: map[string][]byte{"a.pipeline.hcl": []byte("# é\nbuild \"x\" {\x00}\n")},
			bad: "a.pipeline.hcl", summary: "Binary File", line: 2, col: 12, offset: 16},
		{name: "Latin-1 text", files: map[string][]byte{"pipeline.hcl": []byte("# café\npipeline \"caf\xe9\" {\n}\n")},
			bad: "pipeline.hcl", summary: "Invalid File Encoding", line: 2, col: 14, offset: 21},
		{name: "truncated UTF-8 at the end", files: map[string][]byte{"pipeline.hcl": []byte("# ok\n# \xc3")},
			bad: "pipeline.hcl", summary: "Invalid File Encoding", line: 2, col: 3, offset: 7},
		{name: "binary file beside valid files", files: map[string][]byte{
			"pipeline.hcl": []byte(valid), "zz.pipeline.hcl": elfHeader(300),
		}, bad: "zz.pipeline.hcl", summary: "Binary File", line: 1, col: 8, offset: 7, loaded: true},
		{name: "binary file beside a file parsed in runs", files: map[string][]byte{
			"big.pipeline.hcl": big, "bin.pipeline.hcl": elfHeader(300),
		}, bad: "bin.pipeline.hcl", summary: "Binary File", line: 1, col: 8, offset: 7, loaded: true},
		{name: "NUL after the first run of a large file", files: map[string][]byte{"pipeline.hcl": bigNUL},
			bad: "pipeline.hcl", summary: "Binary File", line: bytes.Count(big, []byte{'\n'}) + 1, col: 12, offset: len(big) + 11},
		{name: "UTF-8 text with a byte order mark", files: map[string][]byte{"pipeline.hcl": []byte("\ufeff# ß 世界\n" + valid)}, loaded: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, b := range tt.files {
				fsys[name] = &fstest.MapFile{Data: b}
			}
			p := NewParser()
			cfg, diags := p.LoadDir(fsys, LoadOptions{FilenamePrefix: "dir/", Getenv: func(string) (string, bool) { return "", false }})
			if tt.loaded && (cfg == nil || cfg.Pipeline == nil || len(cfg.Stages) == 0) {
				t.Errorf("LoadDir did not load the valid files: %+v", cfg)
			}
			if tt.bad == "" {
				if len(diags) != 0 {
					t.Fatalf("LoadDir diagnostics = %v; want none", diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Severity != hcl.DiagError {
				t.Fatalf("LoadDir gave %d diagnostics; want exactly one error:\n%v", len(diags), diags)
			}
			d := diags[0]
			full := "dir/" + tt.bad
			if d.Summary != tt.summary {
				t.Errorf("Summary = %q; want %q", d.Summary, tt.summary)
			}
			want := hcl.Pos{Line: tt.line, Column: tt.col, Byte: tt.offset}
			if d.Subject == nil || d.Subject.Filename != full || d.Subject.Start != want {
				t.Errorf("Subject = %v; want %s at %+v", d.Subject, full, want)
			}
			for _, s := range []string{full, fmt.Sprintf("line %d, column %d (byte offset %d)", tt.line, tt.col, tt.offset), "rename it", ".pipeline.hcl"} {
				if !strings.Contains(d.Detail, s) {
					t.Errorf("Detail does not contain %q: %s", s, d.Detail)
				}
			}
			if _, parsed := p.Files()[full]; parsed {
				t.Errorf("Files() holds %s; want the file not parsed", full)
			}
		})
	}
}
