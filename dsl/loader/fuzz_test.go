package loader

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fuzzDeadline bounds one Load of a fuzzed directory: a FIFO that blocks,
// a /dev/zero that never ends or a nesting that recurses would all exceed
// it.
const fuzzDeadline = 10 * time.Second

// FuzzLoadTree loads a pipeline directory built from the input: the first
// byte says which hostile entries sit beside the pipeline file (bit 0 a
// link to a host file as a pipeline file, bit 1 a FIFO as a pipeline file,
// bit 2 a link to /dev/zero as a pipeline file, bit 3 a directory named
// like a pipeline file, bit 4 a link to /proc/self/environ that file()
// may read as "envf", bit 5 a FIFO that file() may read as "fifo", bit 6 a
// link to the parent directory as "up"), the rest is the pipeline file.
// Load must return within fuzzDeadline, must not panic, and no diagnostic
// may show the host file's marker.
func FuzzLoadTree(f *testing.F) {
	valid := "pipeline \"p\" {\n  image = \"busybox\"\n}\nbuild \"b\" {\n  step \"s\" { run = \"true\" }\n}\n"
	f.Add(append([]byte{0}, valid...))
	f.Add(append([]byte{0x7f}, valid...))
	f.Add(append([]byte{0x10}, valid+"locals {\n  e = file(\"envf\")\n}\n"...))
	f.Add(append([]byte{0x20}, valid+"locals {\n  e = file(\"fifo\")\n}\n"...))
	f.Add(append([]byte{0x40}, valid+"locals {\n  e = file(\"up/host.txt\")\n}\n"...))
	f.Add(append([]byte{0x03}, "locals {\n  x = "+strings.Repeat("(", 100000)+"1"+strings.Repeat(")", 100000)+"\n}\n"...))
	f.Add(append([]byte{0x00}, "x = "+strings.Repeat("[", 600)+"\n"...))
	f.Add(append([]byte{0x00}, "x = \"${"+strings.Repeat("{", 600)+"\n"...))
	f.Add(append([]byte{0x00}, "x = <<EOT\n"+strings.Repeat("(", 600)+"\nEOT\n"...))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		flags, src := in[0], in[1:]
		base := t.TempDir()
		dir := filepath.Join(base, "repo")
		host := filepath.Join(base, "host.txt")
		const marker = "FUZZ-HOST-MARKER-5b1e"
		must(t, os.MkdirAll(dir, 0o755))
		must(t, os.WriteFile(host, []byte("pipeline \"x\" {}\n"+marker+"\n"), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "pipeline.hcl"), src, 0o644))
		if flags&1 != 0 {
			must(t, os.Symlink(host, filepath.Join(dir, "leak.pipeline.hcl")))
		}
		if flags&2 != 0 {
			must(t, syscall.Mkfifo(filepath.Join(dir, "fifo.pipeline.hcl"), 0o644))
		}
		if flags&4 != 0 {
			must(t, os.Symlink("/dev/zero", filepath.Join(dir, "zero.pipeline.hcl")))
		}
		if flags&8 != 0 {
			must(t, os.Mkdir(filepath.Join(dir, "d.pipeline.hcl"), 0o755))
		}
		if flags&16 != 0 {
			must(t, os.Symlink("/proc/self/environ", filepath.Join(dir, "envf")))
		}
		if flags&32 != 0 {
			must(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
		}
		if flags&64 != 0 {
			must(t, os.Symlink("..", filepath.Join(dir, "up")))
		}
		type result struct {
			res *Result
			err any
		}
		done := make(chan result, 1)
		go func() {
			defer func() {
				if r := recover(); r != nil {
					done <- result{err: r}
				}
			}()
			res, diags := Load(Request{Dir: dir, Getenv: func(string) (string, bool) { return "", false }})
			var b bytes.Buffer
			for _, d := range diags {
				b.WriteString(d.Summary + "\n" + d.Detail + "\n")
			}
			if strings.Contains(b.String(), marker) {
				done <- result{err: "a diagnostic shows the host file: " + b.String()}
				return
			}
			done <- result{res: res}
		}()
		select {
		case r := <-done:
			if r.err != nil {
				t.Fatalf("Load: %v", r.err)
			}
		case <-time.After(fuzzDeadline):
			t.Fatalf("Load did not return within %s", fuzzDeadline)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
