package confine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tree makes a root with a host file outside it and every kind of link.
func tree(t *testing.T) (root, host string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "repo")
	host = filepath.Join(base, "host-secret.txt")
	must(t, os.MkdirAll(filepath.Join(root, "sub", "deeper"), 0o755))
	must(t, os.WriteFile(host, []byte("HOST-MARKER"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "ok.txt"), []byte("fine"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "sub", "in.txt"), []byte("inside"), 0o644))
	must(t, os.Symlink(host, filepath.Join(root, "abs-out")))
	must(t, os.Symlink("../host-secret.txt", filepath.Join(root, "rel-out")))
	must(t, os.Symlink("../ok.txt", filepath.Join(root, "sub", "up-in")))
	must(t, os.Symlink("deeper/../../..", filepath.Join(root, "sub", "dotdot")))
	must(t, os.Symlink("/proc/self/environ", filepath.Join(root, "environ")))
	must(t, os.Symlink("/dev/zero", filepath.Join(root, "zero")))
	must(t, os.Symlink(base, filepath.Join(root, "parent")))
	must(t, os.Symlink("loop", filepath.Join(root, "loop")))
	must(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	return root, host
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadFile(t *testing.T) {
	root, host := tree(t)
	r, err := Open(root)
	must(t, err)
	defer r.Close()
	tests := []struct {
		name string
		want string // contents, or the error it wraps
		err  error
	}{
		{"ok.txt", "fine", nil},
		{"sub/in.txt", "inside", nil},
		{"sub/up-in", "fine", nil},
		{filepath.Join(root, "ok.txt"), "fine", nil},
		{"abs-out", "", ErrOutside},
		{"rel-out", "", ErrOutside},
		{"sub/dotdot/host-secret.txt", "", ErrOutside},
		{"parent/host-secret.txt", "", ErrOutside},
		{"../host-secret.txt", "", ErrOutside},
		{host, "", ErrOutside},
		{"environ", "", ErrOutside},
		{"zero", "", ErrOutside},
		{"fifo", "", ErrNotRegular},
		{"sub", "", ErrNotRegular},
		{"missing", "", os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var b []byte
			var err error
			go func() { b, err = r.ReadFile(tt.name, 1<<10); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("ReadFile(%q) blocked", tt.name)
			}
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ReadFile(%q) = %q, %v; want an error wrapping %v", tt.name, b, err, tt.err)
				}
				if strings.Contains(err.Error(), "HOST-MARKER") {
					t.Fatalf("ReadFile(%q) error shows the host file: %v", tt.name, err)
				}
				return
			}
			if err != nil || string(b) != tt.want {
				t.Fatalf("ReadFile(%q) = %q, %v; want %q", tt.name, b, err, tt.want)
			}
		})
	}
}

func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "big"), make([]byte, 2049), 0o644))
	r, err := Open(dir)
	must(t, err)
	defer r.Close()
	if _, err := r.ReadFile("big", 2048); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "2 KiB") {
		t.Fatalf("ReadFile(big, 2048) = %v; want ErrTooLarge naming 2 KiB", err)
	}
	if b, err := r.ReadFile("big", 4096); err != nil || len(b) != 2049 {
		t.Fatalf("ReadFile(big, 4096) = %d bytes, %v; want 2049", len(b), err)
	}
}

func TestFS(t *testing.T) {
	root, _ := tree(t)
	r, err := Open(root)
	must(t, err)
	defer r.Close()
	fsys := r.FS("sub")
	if b, err := fsys.(interface{ ReadFile(string) ([]byte, error) }).ReadFile("up-in"); err != nil || string(b) != "fine" {
		t.Fatalf("FS(sub).ReadFile(up-in) = %q, %v; want the file one level up, still inside the root", b, err)
	}
	if _, err := fsys.Open("dotdot/host-secret.txt"); !errors.Is(err, ErrOutside) {
		t.Fatalf("FS(sub).Open(dotdot/host-secret.txt) = %v; want ErrOutside", err)
	}
	top := r.FS(".")
	for _, name := range []string{"fifo", "zero", "environ", "abs-out"} {
		f, err := top.Open(name)
		if err == nil {
			f.Close()
			t.Fatalf("FS(.).Open(%q) succeeded; want it refused", name)
		}
	}
	if _, err := top.Open("loop"); err == nil {
		t.Fatalf("FS(.).Open(loop) succeeded; want too many links")
	}
	entries, err := os.ReadDir(root)
	must(t, err)
	if len(entries) == 0 {
		t.Fatal("empty tree")
	}
}

func TestDirPath(t *testing.T) {
	root, _ := tree(t)
	r, err := Open(root)
	must(t, err)
	defer r.Close()
	if p, err := r.DirPath("sub"); err != nil || p != filepath.Join(r.Dir(), "sub") {
		t.Fatalf("DirPath(sub) = %q, %v", p, err)
	}
	if p, err := r.DirPath("."); err != nil || p != r.Dir() {
		t.Fatalf("DirPath(.) = %q, %v", p, err)
	}
	if _, err := r.DirPath("parent"); !errors.Is(err, ErrOutside) {
		t.Fatalf("DirPath(parent) = %v; want ErrOutside", err)
	}
	if _, err := r.DirPath("ok.txt"); !errors.Is(err, ErrNotDir) {
		t.Fatalf("DirPath(ok.txt) = %v; want ErrNotDir", err)
	}
	if _, err := r.FilePath("sub/dotdot"); !errors.Is(err, ErrOutside) {
		t.Fatalf("FilePath(sub/dotdot) = %v; want ErrOutside", err)
	}
}
