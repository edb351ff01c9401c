package checkout_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/checkout"
	"github.com/pipeline-cd/pipeline/internal/gittest"

	// Registers the -update flag that go test ./... -update passes to every package.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAddChecksOutTheCommitAndRemoveCleansUp(t *testing.T) {
	dir := gittest.Init(t)
	c1 := gittest.Commit(t, dir, "v1", map[string]string{"app/deploy.sh": "v1\n"})
	gittest.Commit(t, dir, "v2", map[string]string{"app/deploy.sh": "v2\n"})

	co, err := checkout.Add(dir, c1, checkout.Owner{Host: "h", PID: os.Getpid(), RunID: "r-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(co.Dir("app"), "deploy.sh")); got != "v1\n" {
		t.Errorf("checkout of %s: app/deploy.sh = %q; want v1", c1, got)
	}
	if got := gittest.Git(t, dir, "status", "--porcelain", "--untracked-files=all"); got != "" {
		t.Errorf("the checkout shows in git status of the repository:\n%s", got)
	}
	if got := read(t, filepath.Join(dir, "app", "deploy.sh")); got != "v2\n" {
		t.Errorf("the working tree changed: app/deploy.sh = %q; want v2", got)
	}
	if err := co.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(co.Root); !os.IsNotExist(err) {
		t.Errorf("checkout %s still exists after Remove (stat: %v)", co.Root, err)
	}
	if list := gittest.Git(t, dir, "worktree", "list"); strings.Count(list, "\n") != 0 {
		t.Errorf("git still lists the removed worktree:\n%s", list)
	}
}

func TestAvailableNamesTheMissingCommit(t *testing.T) {
	dir := gittest.Init(t)
	gittest.Commit(t, dir, "one", map[string]string{"a": "1"})
	missing := strings.Repeat("ab", 20)
	err := checkout.Available(dir, missing, "release 1.0.1")
	if !errors.Is(err, checkout.ErrCommitMissing) {
		t.Fatalf("Available(%s) = %v; want ErrCommitMissing", missing, err)
	}
	for _, want := range []string{missing, "release 1.0.1", "git fetch"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Available error %q does not say %q", err, want)
		}
	}
}

func TestAvailableInAShallowCloneSuggestsUnshallow(t *testing.T) {
	src := gittest.Init(t)
	old := gittest.Commit(t, src, "one", map[string]string{"a": "1"})
	gittest.Commit(t, src, "two", map[string]string{"a": "2"})
	clone := filepath.Join(t.TempDir(), "clone")
	if out, err := exec.Command("git", "clone", "-q", "--depth=1", "file://"+src, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone --depth=1: %v\n%s", err, out)
	}
	err := checkout.Available(clone, old, "release 1.0.1")
	if !errors.Is(err, checkout.ErrCommitMissing) || !strings.Contains(err.Error(), "--unshallow") {
		t.Errorf("Available in a shallow clone = %v; want ErrCommitMissing suggesting git fetch --unshallow", err)
	}
}

func TestSweepRemovesCheckoutsOfDeadProcessesOnly(t *testing.T) {
	dir := gittest.Init(t)
	c := gittest.Commit(t, dir, "one", map[string]string{"a": "1"})
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	gone, err := checkout.Add(dir, c, checkout.Owner{Host: "here", PID: dead.Process.Pid})
	if err != nil {
		t.Fatal(err)
	}
	live, err := checkout.Add(dir, c, checkout.Owner{Host: "here", PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	other, err := checkout.Add(dir, c, checkout.Owner{Host: "elsewhere", PID: dead.Process.Pid})
	if err != nil {
		t.Fatal(err)
	}
	n, err := checkout.Sweep(dir, "here", false)
	if err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1 removed", n, err)
	}
	for _, tc := range []struct {
		co   *checkout.Checkout
		want bool
	}{{gone, false}, {live, true}, {other, true}} {
		_, err := os.Stat(tc.co.Root)
		if exists := err == nil; exists != tc.want {
			t.Errorf("after Sweep, %s exists = %v; want %v", tc.co.Root, exists, tc.want)
		}
	}
	if n, err := checkout.Sweep(dir, "here", true); err != nil || n != 2 {
		t.Errorf("Sweep all = %d, %v; want 2 removed", n, err)
	}
}

// TestConcurrentAdd: checkouts made at the same time (concurrent deploys
// of a monorepo's components) do not trip over each other's git
// bookkeeping.
func TestConcurrentAdd(t *testing.T) {
	dir := gittest.Init(t)
	c := gittest.Commit(t, dir, "one", map[string]string{"a": "1"})
	errs := make(chan error, 6)
	for i := 0; i < cap(errs); i++ {
		go func() {
			co, err := checkout.Add(dir, c, checkout.Owner{Host: "h", PID: os.Getpid()})
			if err == nil {
				err = co.Remove()
			}
			errs <- err
		}()
	}
	for i := 0; i < cap(errs); i++ {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Add/Remove: %v", err)
		}
	}
	if list := gittest.Git(t, dir, "worktree", "list"); strings.Count(list, "\n") != 0 {
		t.Errorf("worktrees left:\n%s", list)
	}
}
