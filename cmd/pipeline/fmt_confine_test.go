package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFmtRefusesFilesOutsideRepository: pipeline fmt given a pipeline
// file that is a link to a host file neither prints nor rewrites the host
// file, a FIFO does not block it, and deep nesting is a diagnostic, not a
// stack overflow.
func TestFmtRefusesFilesOutsideRepository(t *testing.T) {
	host := filepath.Join(t.TempDir(), "host.hcl")
	const hostSrc = "hostmarker   =    1\n"
	if err := os.WriteFile(host, []byte(hostSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{
		"deep.pipeline.hcl": "x = " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + "\n",
	})
	if err := os.Symlink(host, filepath.Join(dir, "leak.pipeline.hcl")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.pipeline.hcl"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"leak.pipeline.hcl", "fifo.pipeline.hcl", "deep.pipeline.hcl"} {
		for _, args := range [][]string{{"fmt"}, {"fmt", "-check", "-diff"}} {
			code, stdout, stderr := runCLI(t, append(args, filepath.Join(dir, name))...)
			if code != 2 {
				t.Errorf("pipeline %v %s exit code = %d; want 2 (stderr %q)", args, name, code, stderr)
			}
			if strings.Contains(stdout+stderr, "hostmarker") || strings.Contains(stderr, "goroutine") {
				t.Errorf("pipeline %v %s shows the host file or a stack:\n%s%s", args, name, stdout, stderr)
			}
		}
	}
	if b, err := os.ReadFile(host); err != nil || string(b) != hostSrc {
		t.Errorf("host file after fmt = %q, %v; want it unchanged", b, err)
	}
}
