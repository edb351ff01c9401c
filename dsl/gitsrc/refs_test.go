package gitsrc

import (
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/internal/gittest"
)

func TestInfo(t *testing.T) {
	f := newFixture(t)
	short := func(sha string) string { return gittest.Git(t, f.root, "rev-parse", "--short", sha) }
	tests := []struct {
		rev  string
		want dsl.GitInfo
	}{
		{"HEAD", dsl.GitInfo{SHA: f.second, ShortSHA: short(f.second), Branch: "main", Author: "bob@example.com", CommitCount: 2, Known: true}},
		{"feature", dsl.GitInfo{SHA: f.onFeature, ShortSHA: short(f.onFeature), Branch: "feature", Author: "carol@example.com", CommitCount: 2, Known: true}},
		{"v1.0.0", dsl.GitInfo{SHA: f.first, ShortSHA: short(f.first), Tag: "v1.0.0", Author: "alice@example.com", CommitCount: 1, Known: true}},
		{f.first, dsl.GitInfo{SHA: f.first, ShortSHA: short(f.first), Tag: "v1.0.0", Author: "alice@example.com", CommitCount: 1, Known: true}},
	}
	for _, tt := range tests {
		t.Run(tt.rev, func(t *testing.T) {
			got, err := Info(f.root, tt.rev)
			if err != nil || got != tt.want {
				t.Errorf("Info(%q) = %+v, %v; want %+v", tt.rev, got, err, tt.want)
			}
		})
	}

	t.Run("unknown", func(t *testing.T) {
		_, err := Info(f.root, "nope")
		if !errors.Is(err, ErrUnknownRef) {
			t.Errorf("Info(nope) error = %v; want ErrUnknownRef", err)
		}
	})
}

func TestInfoDetached(t *testing.T) {
	f := newFixture(t)
	gittest.Git(t, f.root, "checkout", "-q", "-f", "--detach", "feature")
	gittest.Git(t, f.root, "update-ref", "refs/remotes/origin/release", f.onFeature)
	tests := []struct {
		name       string
		env        map[string]string
		wantBranch string
		// wantWhy is a part of BranchUnproven; "" wants it empty.
		wantWhy string
	}{
		{"no variable", nil, "", "no CI variable"},
		{"branch unknown here", map[string]string{"CI_COMMIT_REF_NAME": "gitlab-branch"}, "gitlab-branch", "has no refs/heads/gitlab-branch or refs/remotes/*/gitlab-branch"},
		{"merge ref", map[string]string{"GITHUB_REF_NAME": "42/merge", "CI_COMMIT_REF_NAME": "x"}, "42/merge", "no refs/heads/42/merge"},
		{"pull request head", map[string]string{"GITHUB_HEAD_REF": "feature", "GITHUB_REF_NAME": "42/merge"}, "feature", "head branch of a pull or merge request"},
		{"pull request head named main", map[string]string{"GITHUB_HEAD_REF": "main"}, "main", "GITHUB_HEAD_REF=main names the head branch"},
		{"merge request head", map[string]string{"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "main", "CI_COMMIT_REF_NAME": "main"}, "main", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=main"},
		{"commit not on the named branch", map[string]string{"GITHUB_REF_NAME": "main"}, "main", "is not on refs/heads/main in this repository"},
		{"commit on the named local branch", map[string]string{"GITHUB_REF_NAME": "feature"}, "feature", ""},
		{"commit on a remote-tracking branch", map[string]string{"CI_COMMIT_BRANCH": "release"}, "release", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got, err := Info(f.root, "HEAD")
			if err != nil || got.Branch != tt.wantBranch || got.SHA != f.onFeature {
				t.Errorf("Info(HEAD) with %v = %+v, %v; want branch %q at %s", tt.env, got, err, tt.wantBranch, f.onFeature)
			}
			if tt.wantWhy == "" && got.BranchUnproven != "" {
				t.Errorf("Info(HEAD) with %v: BranchUnproven = %q; want the branch proven", tt.env, got.BranchUnproven)
			}
			if tt.wantWhy != "" && !strings.Contains(got.BranchUnproven, tt.wantWhy) {
				t.Errorf("Info(HEAD) with %v: BranchUnproven = %q; want it to say %q", tt.env, got.BranchUnproven, tt.wantWhy)
			}
			if want := map[bool]string{true: tt.wantBranch, false: ""}[tt.wantWhy == ""]; got.ProvenBranch() != want {
				t.Errorf("Info(HEAD) with %v: ProvenBranch() = %q; want %q", tt.env, got.ProvenBranch(), want)
			}
		})
	}
}

func TestInfoShallowAndEmpty(t *testing.T) {
	f := newFixture(t)
	clone := t.TempDir()
	gittest.Git(t, clone, "clone", "-q", "--depth=1", "--branch=main", "file://"+f.root, "c")
	got, err := Info(filepath.Join(clone, "c"), "HEAD")
	if err != nil || got.CommitCount != -1 || got.SHA != f.second || got.Branch != "main" {
		t.Errorf("Info(HEAD) in a shallow clone = %+v, %v; want CommitCount -1 at %s on main", got, err, f.second)
	}

	empty := t.TempDir()
	gittest.Git(t, empty, "init", "-q", "-b", "trunk")
	got, err = Info(empty, "HEAD")
	want := dsl.GitInfo{Branch: "trunk", CommitCount: 0, Known: true}
	if err != nil || got != want {
		t.Errorf("Info(HEAD) without commits = %+v, %v; want %+v", got, err, want)
	}
}

func TestDescribe(t *testing.T) {
	f := newFixture(t)
	short := gittest.Git(t, f.root, "rev-parse", "--short", f.second)
	tests := []struct{ rev, want string }{
		{"HEAD", "v1.0.0-1-g" + short},
		{"v1.0.0", "v1.0.0"},
	}
	for _, tt := range tests {
		got, err := Describe(f.root, tt.rev)
		if err != nil || got != tt.want {
			t.Errorf("Describe(%q) = %q, %v; want %q", tt.rev, got, err, tt.want)
		}
	}
	if _, err := Describe(f.root, "nope"); !errors.Is(err, ErrUnknownRef) {
		t.Errorf("Describe(nope) error = %v; want ErrUnknownRef", err)
	}
}

func TestDefaultBranch(t *testing.T) {
	f := newFixture(t)
	cloneDir := t.TempDir()
	gittest.Git(t, cloneDir, "clone", "-q", "file://"+f.root, "c")
	clone := filepath.Join(cloneDir, "c")
	gittest.Git(t, clone, "checkout", "-q", "-b", "topic")
	gittest.Git(t, clone, "branch", "-q", "-D", "main")

	trunk := t.TempDir()
	gittest.Git(t, trunk, "init", "-q", "-b", "trunk")
	gittest.CommitAs(t, trunk, "a@example.com", "one", map[string]string{"a": "a"})
	gittest.Git(t, trunk, "branch", "master")
	gittest.Git(t, trunk, "branch", "develop")
	gittest.Git(t, trunk, "config", "init.defaultBranch", "develop")

	// A detached CI checkout: origin/main fetched, no local main, no origin/HEAD.
	ciDir := t.TempDir()
	gittest.Git(t, ciDir, "clone", "-q", "file://"+f.root, "c")
	ci := filepath.Join(ciDir, "c")
	gittest.Git(t, ci, "checkout", "-q", "--detach")
	gittest.Git(t, ci, "branch", "-q", "-D", "main")
	gittest.Git(t, ci, "remote", "set-head", "origin", "-d")

	// Neither main, master nor init.defaultBranch: the current branch must
	// not be taken as the default one, checked out or detached.
	other := t.TempDir()
	gittest.Git(t, other, "init", "-q", "-b", "work")
	gittest.CommitAs(t, other, "a@example.com", "one", map[string]string{"a": "a"})
	detached := t.TempDir()
	gittest.Git(t, detached, "init", "-q", "-b", "feature")
	gittest.CommitAs(t, detached, "a@example.com", "one", map[string]string{"a": "a"})
	gittest.Git(t, detached, "checkout", "-q", "--detach")

	tests := []struct {
		name, root, want string
		wantErr          error
	}{
		{"main exists", f.root, "main", nil},
		{"origin/HEAD without a local branch", clone, "origin/main", nil},
		{"init.defaultBranch", trunk, "develop", nil},
		{"detached with origin/main only", ci, "origin/main", nil},
		{"only the current branch", other, "", ErrNoDefaultBranch},
		{"detached without a default branch", detached, "", ErrNoDefaultBranch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DefaultBranch(tt.root)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("DefaultBranch(%s) = %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCommits(t *testing.T) {
	f := newFixture(t)
	c1 := Commit{SHA: f.first, Author: "alice@example.com", Subject: "Add the pipeline"}
	c2 := Commit{SHA: f.second, Author: "bob@example.com", Subject: "Add a test stage"}
	c3 := Commit{SHA: f.onFeature, Author: "carol@example.com", Subject: "Remove the production gate"}
	tests := []struct {
		from, to string
		limit    int
		want     []Commit
	}{
		{"", "main", 0, []Commit{c2, c1}},
		{"", "main", 1, []Commit{c2}},
		{"main", "feature", 0, []Commit{c3}},
		{"v1.0.0", "main", 0, []Commit{c2}},
		{"main", "main", 0, nil},
		{"main", "v1.0.0", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.from+".."+tt.to, func(t *testing.T) {
			got, err := Commits(f.root, tt.from, tt.to, tt.limit)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Commits(%q, %q, %d) = %+v, %v; want %+v", tt.from, tt.to, tt.limit, got, err, tt.want)
			}
		})
	}
	for _, refs := range [][2]string{{"nope", "main"}, {"main", "nope"}} {
		if _, err := Commits(f.root, refs[0], refs[1], 0); !errors.Is(err, ErrUnknownRef) || !strings.Contains(err.Error(), "nope") {
			t.Errorf("Commits(%q, %q) error = %v; want ErrUnknownRef naming nope", refs[0], refs[1], err)
		}
	}
}

func TestAncestor(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		a, b string
		want bool
	}{
		{"v1.0.0", "main", true},
		{"v1.0.0", "feature", true},
		{"main", "main", true},
		{"feature", "main", false},
		{"main", "v1.0.0", false},
	}
	for _, tt := range tests {
		got, err := Ancestor(f.root, tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("Ancestor(%q, %q) = %v, %v; want %v", tt.a, tt.b, got, err, tt.want)
		}
	}
	if _, err := Ancestor(f.root, "main", "nope"); !errors.Is(err, ErrUnknownRef) {
		t.Errorf("Ancestor(main, nope) error = %v; want ErrUnknownRef", err)
	}
}

func TestUserEmail(t *testing.T) {
	f := newFixture(t)
	if got := UserEmail(f.root); got != "tester@example.com" {
		t.Errorf("UserEmail() = %q; want %q", got, "tester@example.com")
	}
	gittest.Git(t, f.root, "config", "user.email", "local@example.com")
	if got := UserEmail(f.root); got != "local@example.com" {
		t.Errorf("UserEmail() with a repository setting = %q; want %q", got, "local@example.com")
	}
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(t.TempDir(), "none"))
	if got := UserEmail(t.TempDir()); got != "" {
		t.Errorf("UserEmail() outside a repository without configuration = %q; want \"\"", got)
	}
}

func TestDirty(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		want   bool
	}{
		{"clean", func(*testing.T, string) {}, false},
		{"untracked file", func(t *testing.T, dir string) {
			gittest.Write(t, dir, map[string]string{"build/out.bin": "x\n"})
		}, false},
		{"modified tracked file", func(t *testing.T, dir string) {
			gittest.Write(t, dir, map[string]string{"src/main.go": "package evil\n"})
		}, true},
		{"staged change", func(t *testing.T, dir string) {
			gittest.Write(t, dir, map[string]string{"src/main.go": "package evil\n"})
			gittest.Git(t, dir, "add", "src/main.go")
		}, true},
		{"deleted tracked file", func(t *testing.T, dir string) {
			gittest.Git(t, dir, "rm", "-q", "--cached", "pipeline.hcl")
		}, true},
		{"new file added", func(t *testing.T, dir string) {
			gittest.Write(t, dir, map[string]string{"new.txt": "n\n"})
			gittest.Git(t, dir, "add", "new.txt")
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := gittest.Init(t)
			gittest.Commit(t, dir, "first", map[string]string{"pipeline.hcl": "pipeline \"svc\" {}\n", "src/main.go": "package main\n"})
			tt.change(t, dir)
			got, err := Dirty(dir)
			if err != nil {
				t.Fatalf("Dirty(%s) error = %v", tt.name, err)
			}
			if got != tt.want {
				t.Errorf("Dirty(%s) = %v; want %v", tt.name, got, tt.want)
			}
		})
	}
	if _, err := Dirty(t.TempDir()); err == nil {
		t.Errorf("Dirty(a directory outside git) error = nil; want an error")
	}
}

func TestConfigDirs(t *testing.T) {
	root := gittest.Init(t)
	gittest.Commit(t, root, "configs", map[string]string{
		"pipeline.hcl":              `secret "a" { env = "PROD_TOKEN" }`,
		"a/pipeline.hcl":            `secret "b" { env = "PROD_TOKEN" }`,
		"b/x.pipeline.hcl":          `secret "c" { env = "OTHER" }`,
		"c/notes.txt":               "PROD_TOKEN",
		"d/.hidden.pipeline.hcl":    "PROD_TOKEN",
		"e/f/deploy.pipeline.hcl":   "# PROD_TOKEN",
		"g/notpipeline.hcl.example": "PROD_TOKEN",
	})
	gittest.Git(t, root, "checkout", "-q", "-b", "later")
	gittest.Commit(t, root, "later", map[string]string{"b/x.pipeline.hcl": `secret "c" { env = "PROD_TOKEN" }`})
	got, err := ConfigDirs(root, "main", "PROD_TOKEN")
	if want := []string{".", "a", "e/f"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ConfigDirs(main, PROD_TOKEN) = %q, %v; want %q", got, err, want)
	}
	if got, err := ConfigDirs(root, "main", "NOWHERE"); err != nil || len(got) != 0 {
		t.Errorf("ConfigDirs(main, NOWHERE) = %q, %v; want none", got, err)
	}
	if _, err := ConfigDirs(root, "nope", "PROD_TOKEN"); !errors.Is(err, ErrUnknownRef) {
		t.Errorf("ConfigDirs(nope) error = %v; want ErrUnknownRef", err)
	}
}
