package gitsrc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pipeline-cd/pipeline/dsl/confine"
	"github.com/pipeline-cd/pipeline/internal/gittest"
	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

// isolateGit makes git ignore the user's and the system's configuration and
// clears the CI variables Info reads, so tests see only what they set up.
func isolateGit(t *testing.T) {
	t.Helper()
	gittest.Require(t)
	global := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(global, []byte("[user]\n\temail = tester@example.com\n\tname = Tester\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", global)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, v := range ciBranchVars {
		t.Setenv(v, "")
	}
}

// fixture is a repository with two branches, a tag and a dirty working tree.
type fixture struct {
	root                      string
	first, second, onFeature  string // commit hashes
	firstMain, secondFeatures map[string]string
}

// newFixture builds:
//
//	first (tag v1.0.0) -- second            main (checked out, dirty)
//	      \-- onFeature                     feature
func newFixture(t *testing.T) fixture {
	t.Helper()
	isolateGit(t)
	root := t.TempDir()
	root, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	gittest.Git(t, root, "init", "-q", "-b", "main")
	f := fixture{root: root}
	f.first = gittest.CommitAs(t, root, "alice@example.com", "Add the pipeline", map[string]string{
		"pipeline.hcl":             "pipeline \"webapp\" {}\n",
		"deploy/prod.pipeline.hcl": "environment \"production\" {}\n",
		"src/main.go":              "package main\n",
	})
	gittest.Git(t, root, "tag", "v1.0.0")
	f.second = gittest.CommitAs(t, root, "bob@example.com", "Add a test stage", map[string]string{
		"test.pipeline.hcl": "test \"unit\" {}\n",
	})
	gittest.Git(t, root, "checkout", "-q", "-b", "feature", f.first)
	f.onFeature = gittest.CommitAs(t, root, "carol@example.com", "Remove the production gate", map[string]string{
		"deploy/prod.pipeline.hcl": "environment \"production\" { branches = [\"*\"] }\n",
	})
	gittest.Git(t, root, "checkout", "-q", "main")
	// The working tree is dirty: a modified file, a staged one, an untracked one.
	gittest.Write(t, root, map[string]string{
		"pipeline.hcl":                "pipeline \"dirty\" {}\n",
		"deploy/staged.pipeline.hcl":  "staged\n",
		"deploy/scratch.pipeline.hcl": "untracked\n",
	})
	gittest.Git(t, root, "add", "deploy/staged.pipeline.hcl")
	return f
}

func TestRefFS(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		ref, subdir string
		wantCommit  string
		want        map[string]string // every file in the FS
	}{
		{"main", ".", f.second, map[string]string{
			"pipeline.hcl":             "pipeline \"webapp\" {}\n",
			"deploy/prod.pipeline.hcl": "environment \"production\" {}\n",
			"src/main.go":              "package main\n",
			"test.pipeline.hcl":        "test \"unit\" {}\n",
		}},
		{"feature", "deploy", f.onFeature, map[string]string{
			"prod.pipeline.hcl": "environment \"production\" { branches = [\"*\"] }\n",
		}},
		{"v1.0.0", "", f.first, map[string]string{
			"pipeline.hcl":             "pipeline \"webapp\" {}\n",
			"deploy/prod.pipeline.hcl": "environment \"production\" {}\n",
			"src/main.go":              "package main\n",
		}},
		{f.onFeature[:10], "deploy/", f.onFeature, map[string]string{
			"prod.pipeline.hcl": "environment \"production\" { branches = [\"*\"] }\n",
		}},
		{"HEAD~1", "src", f.first, map[string]string{"main.go": "package main\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.ref+"/"+tt.subdir, func(t *testing.T) {
			fsys, gotCommit, err := RefFS(f.root, tt.ref, tt.subdir)
			if err != nil {
				t.Fatalf("RefFS(%q, %q) error: %v", tt.ref, tt.subdir, err)
			}
			if gotCommit != tt.wantCommit {
				t.Errorf("RefFS(%q, %q) commit = %s; want %s", tt.ref, tt.subdir, gotCommit, tt.wantCommit)
			}
			got := map[string]string{}
			err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := fs.ReadFile(fsys, p)
				got[p] = string(b)
				return err
			})
			if err != nil {
				t.Fatalf("walking RefFS(%q, %q): %v", tt.ref, tt.subdir, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("RefFS(%q, %q) files = %q; want %q", tt.ref, tt.subdir, got, tt.want)
			}
			var expected []string
			for name := range tt.want {
				expected = append(expected, name)
			}
			if err := fstest.TestFS(fsys, expected...); err != nil {
				t.Errorf("fstest.TestFS(RefFS(%q, %q)): %v", tt.ref, tt.subdir, err)
			}
		})
	}
}

func TestRefFSErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		ref, subdir string
		wantIs      error
		wantText    []string
	}{
		{"no-such-branch", ".", ErrUnknownRef, []string{`"no-such-branch"`, "git fetch", "git branch -a"}},
		{"--output=/tmp/x", ".", ErrUnknownRef, []string{`"--output=/tmp/x"`}},
		{"", ".", ErrUnknownRef, []string{"empty ref"}},
		{"main", "missing", fs.ErrNotExist, []string{`"missing"`, "main"}},
		{"main", "pipeline.hcl", fs.ErrNotExist, []string{`"pipeline.hcl"`}},
	}
	for _, tt := range tests {
		t.Run(tt.ref+"/"+tt.subdir, func(t *testing.T) {
			_, _, err := RefFS(f.root, tt.ref, tt.subdir)
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("RefFS(%q, %q) error = %v; want one wrapping %v", tt.ref, tt.subdir, err, tt.wantIs)
			}
			for _, s := range tt.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("RefFS(%q, %q) error = %q; want it to mention %s", tt.ref, tt.subdir, err, s)
				}
			}
		})
	}
	if _, _, err := RefFS(f.root, "main", "../outside"); err == nil {
		t.Errorf("RefFS(main, ../outside) error = nil; want an error")
	}
}

// TestRefFSProcessCount checks that reading a directory of many files costs
// a fixed number of git processes, by putting a counting git first in PATH.
func TestRefFSProcessCount(t *testing.T) {
	isolateGit(t)
	root := t.TempDir()
	gittest.Git(t, root, "init", "-q", "-b", "main")
	files := map[string]string{}
	for i := range 30 {
		files[fmt.Sprintf("s%02d.pipeline.hcl", i)] = fmt.Sprintf("test \"t%d\" {}\n", i)
	}
	gittest.CommitAs(t, root, "alice@example.com", "Many files", files)

	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	log := filepath.Join(bin, "calls")
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %q\nexec %q \"$@\"\n", log, real)
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	fsys, _, err := RefFS(root, "main", ".")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := fs.ReadFile(fsys, name)
		if err != nil || string(got) != want {
			t.Fatalf("ReadFile(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	calls, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(calls), "\n"); n != 3 {
		t.Errorf("RefFS and reading %d files ran git %d times; want 3 (rev-parse, ls-tree, cat-file):\n%s", len(files), n, calls)
	}
}

func TestRefFSSymlinks(t *testing.T) {
	isolateGit(t)
	root := t.TempDir()
	gittest.Git(t, root, "init", "-q", "-b", "main")
	gittest.Write(t, root, map[string]string{"shared/base.pipeline.hcl": "base\n", "app/own.hcl": "own\n"})
	for link, target := range map[string]string{
		"app/base.pipeline.hcl": "../shared/base.pipeline.hcl",
		"app/shared":            "../shared",
		"app/escape.hcl":        "../../etc/passwd",
		"app/abs.hcl":           "/etc/passwd",
	} {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(link))); err != nil {
			t.Skipf("symbolic links unavailable: %v", err)
		}
	}
	gittest.CommitAs(t, root, "alice@example.com", "Links", nil)

	fsys, _, err := RefFS(root, "HEAD", ".")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, want string
		wantErr    error
	}{
		{"app/base.pipeline.hcl", "base\n", nil},
		{"app/shared/base.pipeline.hcl", "base\n", nil},
		{"app/own.hcl", "own\n", nil},
		{"app/escape.hcl", "", confine.ErrOutside},
		{"app/abs.hcl", "", confine.ErrOutside},
		{"app/missing.hcl", "", fs.ErrNotExist},
		{"app/../x", "", fs.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fs.ReadFile(fsys, tt.name)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("ReadFile(%q) error = %v; want %v", tt.name, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("ReadFile(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
		})
	}
}

func TestRepoRoot(t *testing.T) {
	f := newFixture(t)
	outside := t.TempDir()
	tests := []struct {
		dir     string
		want    string
		wantErr error
	}{
		{f.root, f.root, nil},
		{filepath.Join(f.root, "deploy"), f.root, nil},
		{outside, "", ErrNotRepo},
		{filepath.Join(f.root, ".git"), "", ErrNotRepo},
		{filepath.Join(outside, "missing"), "", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.dir), func(t *testing.T) {
			got, err := RepoRoot(tt.dir)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("RepoRoot(%q) = %q, %v; want error %v", tt.dir, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("RepoRoot(%q) = %q, %v; want %q", tt.dir, got, err, tt.want)
			}
		})
	}
}
