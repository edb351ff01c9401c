package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// component is a pipeline of one monorepo directory with a release and two
// environments; its steps sleep a little so that processes overlap.
func component(name string) string {
	return fmt.Sprintf(`
pipeline %q {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
}

build "app" {
  step "compile" { run = "mkdir -p dist && for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; done && echo %s > dist/app" }
}

package "app" {
  artifact "bin" { path = "dist/app" }
}

environment "internal" {
  step "rollout" { run = "sleep 0.2; echo deployed %s ${release.version}" }
}

environment "beta" {
  requires = [environment.internal]
  step "rollout" { run = "sleep 0.2; echo deployed %s ${release.version} to beta" }
}
`, name, name, name, name)
}

// TestSQLiteConcurrentProcesses runs several pipeline processes at once on
// one repository's .pipeline/state.db, as a developer with two terminals
// and a watch script would: three components' runs, then two concurrent
// promotions per component contending for each environment's lock. No
// process may surface "database is locked", every one must succeed, and
// `pipeline state check --final --logs` must find every invariant intact.
func TestSQLiteConcurrentProcesses(t *testing.T) {
	r := newRepo(t)
	names := []string{"api", "web", "worker"}
	files := map[string]string{}
	for _, n := range names {
		files[n+"/pipeline.hcl"] = component(n)
	}
	r.commit("three components", files)

	parallel := func(jobs [][]string) {
		t.Helper()
		var wg sync.WaitGroup
		results := make([]result, len(jobs))
		for i, args := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = r.pipeline(nil, args...)
			}()
		}
		wg.Wait()
		for i, res := range results {
			out := res.stdout + res.stderr
			if res.code != 0 || strings.Contains(out, "database is locked") || strings.Contains(out, "SQLITE_BUSY") {
				t.Errorf("pipeline %s exited %d:\n%s", strings.Join(jobs[i], " "), res.code, out)
			}
		}
	}
	var runs [][]string
	for _, n := range names {
		runs = append(runs, []string{"-C", n, "run", "--runner", "local", "--plain"})
	}
	parallel(runs)
	var deploys [][]string
	for _, n := range names {
		for range 2 {
			deploys = append(deploys, []string{"-C", n, "deploy", "internal", "--release", "1.0.1", "--runner", "local", "--plain", "--wait-lock", "2m"})
		}
	}
	parallel(deploys)

	res := r.must(0, nil, "state", "check", "--final", "--logs")
	if !strings.Contains(res.stdout, "0 findings") || !strings.Contains(res.stdout, "checked 9 runs, 3 releases (3 artifacts), 12 deployments") {
		t.Errorf("state check:\n%s", res.stdout)
	}
}

// TestStateCheckBackupRestore drives state check, backup and restore
// through the CLI: a corrupted artifact and a deployment without a release
// are found (exit 1); restoring the backup taken before a second run puts
// its release away.
func TestStateCheckBackupRestore(t *testing.T) {
	r := newRepo(t)
	r.commit("one", map[string]string{"pipeline.hcl": component("svc")})
	r.must(0, nil, "run", "--runner", "local", "--plain")
	if res := r.must(0, nil, "state", "check"); !strings.Contains(res.stdout, "0 findings") {
		t.Fatalf("state check of a healthy store:\n%s", res.stdout)
	}
	backup := filepath.Join(t.TempDir(), "state-backup.db")
	r.must(0, nil, "state", "backup", backup)
	if res := r.pipeline(nil, "state", "backup", backup); res.code == 0 {
		t.Errorf("state backup onto an existing file exited 0; want a refusal")
	}

	r.commit("two", map[string]string{"README": "two"})
	r.must(0, nil, "run", "--runner", "local", "--plain")
	if res := r.must(0, nil, "releases"); !strings.Contains(res.stdout, "1.0.2") {
		t.Fatalf("releases after the second run:\n%s", res.stdout)
	}
	r.must(0, nil, "state", "restore", backup)
	if res := r.must(0, nil, "releases"); strings.Contains(res.stdout, "1.0.2") || !strings.Contains(res.stdout, "1.0.1") {
		t.Errorf("releases after restoring the first backup:\n%s", res.stdout)
	}

	// Corrupt every stored artifact blob.
	blobs, _ := filepath.Glob(filepath.Join(r.dir, ".pipeline", "artifacts", "sha256", "*", "*"))
	if len(blobs) == 0 {
		t.Fatal("no artifact blobs under .pipeline/artifacts")
	}
	for _, b := range blobs {
		_ = os.Chmod(b, 0o644)
		if err := os.WriteFile(b, []byte("tampered"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := r.must(1, nil, "state", "check")
	if !strings.Contains(res.stdout, "release-artifact: release svc 1.0.1") {
		t.Errorf("state check after corrupting the artifact:\n%s", res.stdout)
	}
	if res := r.must(2, nil, "--state", "sqlite:"+filepath.Join(t.TempDir(), "none.db"), "state", "check"); !strings.Contains(res.stderr, "no state store") {
		t.Errorf("state check without a store:\n%s", res.stderr)
	}
	none := "sqlite:" + filepath.Join(t.TempDir(), "none.db")
	if res := r.must(2, nil, "--state", none, "state", "backup", filepath.Join(t.TempDir(), "b.db")); !strings.Contains(res.stderr, "no state store") {
		t.Errorf("state backup without a store:\n%s", res.stderr)
	}

	// A PostgreSQL store is backed up with pg_dump; nothing connects to it.
	pg := "postgres://u:p@127.0.0.1:1/db?sslmode=disable"
	for _, verb := range []string{"backup", "restore"} {
		res := r.must(2, nil, "--state", pg, "state", verb, backup)
		if !strings.Contains(res.stderr, "state "+verb+" works on a SQLite state store only") || !strings.Contains(res.stderr, "pg_dump") {
			t.Errorf("state %s of a PostgreSQL store:\n%s", verb, res.stderr)
		}
	}

	// Disaster recovery: the backup restores into a new checkout that has
	// no store (nor .pipeline directory) yet.
	fresh := newRepo(t)
	fresh.commit("one", map[string]string{"pipeline.hcl": component("svc")})
	fresh.must(0, nil, "state", "restore", backup)
	if res := fresh.must(0, nil, "releases"); !strings.Contains(res.stdout, "1.0.1") {
		t.Errorf("releases after restoring into a new checkout:\n%s", res.stdout)
	}
}
