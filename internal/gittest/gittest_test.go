package gittest

import (
	"testing"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestCommitIsReproducible(t *testing.T) {
	files := map[string]string{"pipeline.hcl": "pipeline \"svc\" {}\n", "src/main.go": "package main\n"}
	a, b := Init(t), Init(t)
	if ha, hb := Commit(t, a, "first", files), Commit(t, b, "first", files); ha != hb {
		t.Errorf("Commit of the same files in two repositories = %s, %s; want one hash", ha, hb)
	}
	const want = Name + " <" + Email + "> 2026-01-02T03:04:05+00:00"
	if got := Git(t, a, "log", "-1", "--format=%an <%ae> %aI"); got != want {
		t.Errorf("author of Commit = %q; want %q", got, want)
	}
}

func TestCommitAs(t *testing.T) {
	dir := Init(t)
	CommitAs(t, dir, "bob@example.com", "by bob", map[string]string{"a/b.txt": "b\n"})
	if got := Git(t, dir, "log", "-1", "--format=%ae %ce %s"); got != "bob@example.com bob@example.com by bob" {
		t.Errorf("CommitAs(bob) recorded %q; want author and committer bob@example.com", got)
	}
	if got := Git(t, dir, "show", "HEAD:a/b.txt"); got != "b" {
		t.Errorf("committed a/b.txt = %q; want %q", got, "b")
	}
}
