package loader

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/internal/gittest"
)

const base = `pipeline "p" {
  image = "busybox"
}
build "b" {
  step "s" { run = "true" }
}
`

// TestLoadRefusesHostFiles loads working trees whose pipeline files or
// file() arguments lead to host files, FIFOs, devices or deep nesting:
// each gives the named diagnostic at the file, within a few seconds, and
// no diagnostic shows the host file's marker.
func TestLoadRefusesHostFiles(t *testing.T) {
	hostDir := t.TempDir()
	marker := "HOST-MARKER-7f3a"
	hostFile := filepath.Join(hostDir, "secret.txt")
	if err := os.WriteFile(hostFile, []byte("pipeline \"x\" {}\n"+marker+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string)
		summary string
	}{
		{"symlinked pipeline file", func(t *testing.T, dir string) {
			link(t, hostFile, filepath.Join(dir, "leak.pipeline.hcl"))
		}, "Pipeline File Outside Repository"},
		{"relative link out", func(t *testing.T, dir string) {
			link(t, "../../"+filepath.Base(hostDir)+"/secret.txt", filepath.Join(dir, "leak.pipeline.hcl"))
		}, "Pipeline File Outside Repository"},
		{"fifo", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "fifo.pipeline.hcl"), 0o644); err != nil {
				t.Skip(err)
			}
		}, "Pipeline File Not a Regular File"},
		{"dev zero", func(t *testing.T, dir string) {
			link(t, "/dev/zero", filepath.Join(dir, "zero.pipeline.hcl"))
		}, "Pipeline File Outside Repository"},
		{"directory", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "d.pipeline.hcl"), 0o755); err != nil {
				t.Fatal(err)
			}
			link(t, "d.pipeline.hcl", filepath.Join(dir, "e.pipeline.hcl"))
		}, "Pipeline File Not a Regular File"},
		{"too large", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "big.pipeline.hcl"), "# "+strings.Repeat("x", 4<<20)+"\n")
		}, "Pipeline File Too Large"},
		{"deep nesting", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, "deep.pipeline.hcl"), "locals {\n  x = "+strings.Repeat("(", 100000)+"1"+strings.Repeat(")", 100000)+"\n}\n")
		}, "Nesting Too Deep"},
		{"file() of /proc/self/environ", func(t *testing.T, dir string) {
			link(t, "/proc/self/environ", filepath.Join(dir, "envf"))
			write(t, filepath.Join(dir, "f.pipeline.hcl"), "locals {\n  e = file(\"envf\")\n}\n")
		}, "Invalid function argument"},
		{"file() of a host file", func(t *testing.T, dir string) {
			link(t, hostFile, filepath.Join(dir, "hostf"))
			write(t, filepath.Join(dir, "f.pipeline.hcl"), "build \"c\" {\n  step \"t\" { run = file(\"hostf\") }\n}\n")
		}, "Invalid function argument"},
		{"file() of a fifo", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
				t.Skip(err)
			}
			write(t, filepath.Join(dir, "f.pipeline.hcl"), "locals {\n  e = file(\"fifo\")\n}\n")
		}, "Invalid function argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := gittest.Init(t)
			dir := filepath.Join(repo, "app")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "pipeline.hcl"), base)
			tt.setup(t, dir)
			done := make(chan hcl.Diagnostics, 1)
			go func() {
				_, diags := Load(Request{Dir: dir, Getenv: func(string) (string, bool) { return "", false }})
				done <- diags
			}()
			var diags hcl.Diagnostics
			select {
			case diags = <-done:
			case <-time.After(20 * time.Second):
				t.Fatalf("Load did not return within 20s")
			}
			var found *hcl.Diagnostic
			for _, d := range diags {
				if d.Summary == tt.summary {
					found = d
				}
				if strings.Contains(d.Detail, marker) || strings.Contains(d.Summary, marker) {
					t.Errorf("diagnostic shows the host file: %s: %s", d.Summary, d.Detail)
				}
			}
			if found == nil {
				t.Fatalf("Load() diagnostics = %v; want %q", diags, tt.summary)
			}
			if found.Subject == nil || found.Subject.Filename == "" || found.Subject.Start.Line < 1 {
				t.Errorf("diagnostic %q has no file:line:col (subject %v)", found.Summary, found.Subject)
			}
		})
	}
}

// TestLoadInRepoLink: a link to a file elsewhere in the repository is read.
func TestLoadInRepoLink(t *testing.T) {
	repo := gittest.Init(t)
	write(t, filepath.Join(repo, "shared", "motd.txt"), "hello")
	dir := filepath.Join(repo, "app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	link(t, "../shared/motd.txt", filepath.Join(dir, "motd.txt"))
	write(t, filepath.Join(dir, "pipeline.hcl"), base+"locals {\n  m = file(\"motd.txt\")\n}\n")
	res, diags := Load(Request{Dir: dir})
	if diags.HasErrors() {
		t.Fatalf("Load() = %v", diags)
	}
	if _, ok := res.Config.Locals["m"]; !ok {
		t.Fatalf("local m missing")
	}
}

// TestLoadRefSymlinkOutside: at a git ref, a committed link to a host file
// is refused and never read from the host.
func TestLoadRefSymlinkOutside(t *testing.T) {
	hostFile := filepath.Join(t.TempDir(), "secret.txt")
	write(t, hostFile, "HOST-MARKER-ref")
	repo := gittest.Init(t)
	write(t, filepath.Join(repo, "pipeline.hcl"), base)
	link(t, hostFile, filepath.Join(repo, "leak.pipeline.hcl"))
	gittest.Commit(t, repo, "leak", nil)
	_, diags := Load(Request{Dir: repo, Ref: "main"})
	if !hasSummary(diags, "Pipeline File Outside Repository") {
		t.Fatalf("Load(--ref main) = %v; want Pipeline File Outside Repository", diags)
	}
	for _, d := range diags {
		if strings.Contains(d.Detail, "HOST-MARKER") {
			t.Fatalf("diagnostic shows the host file: %s", d.Detail)
		}
	}
}

func hasSummary(diags hcl.Diagnostics, s string) bool {
	for _, d := range diags {
		if d.Summary == s {
			return true
		}
	}
	return false
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
