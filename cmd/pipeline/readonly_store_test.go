package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-cd/pipeline/internal/gittest"
)

// readOnlyCommands are the commands that only read or decide on recorded
// state: none of them may create a state store.
var readOnlyCommands = [][]string{
	{"runs"},
	{"runs", "--all"},
	{"logs", "r-1"},
	{"releases"},
	{"history"},
	{"status"},
	{"status", "--all"},
	{"audit"},
	// An address serve cannot listen on, so that a serve that opened the
	// store anyway fails instead of serving until the test times out.
	{"serve", "--listen", "127.0.0.1:99999"},
	{"approve", "r-1", "go"},
	{"reject", "r-1", "go"},
	{"resume", "r-1", "--runner", "local"},
	// gc still cleans containers and partial artifacts, but creates no store.
	{"gc"},
}

// TestReadOnlyCommandsNeedExistingStore checks that a command that only
// reads or decides on recorded state refuses a SQLite store that does not
// exist with exit code 2, naming the file and the fix, and creates neither
// the file nor its directory; with --state and with the default path.
func TestReadOnlyCommandsNeedExistingStore(t *testing.T) {
	t.Setenv("PIPELINE_STATE", "")
	for _, args := range readOnlyCommands {
		for _, form := range []string{"--state PATH", "--state sqlite:PATH", "default"} {
			t.Run(strings.Join(args, " ")+" "+form, func(t *testing.T) {
				dir := gittest.Init(t)
				gittest.Commit(t, dir, "pipeline", map[string]string{"pipeline.hcl": envPipeline})
				missingDir := filepath.Join(t.TempDir(), "no", "such", "dir")
				db := filepath.Join(missingDir, "state.db")
				cli := append(append([]string{}, args...), "-C", dir)
				switch form {
				case "--state PATH":
					cli = append(cli, "--state", db)
				case "--state sqlite:PATH":
					cli = append(cli, "--state", "sqlite:"+db)
				default:
					missingDir = filepath.Join(dir, ".pipeline")
					db = filepath.Join(missingDir, "state.db")
				}
				code, _, stderr := runCLI(t, cli...)
				if code != exitUsage {
					t.Errorf("pipeline %s exit code = %d; want %d (stderr %q)", strings.Join(cli, " "), code, exitUsage, stderr)
				}
				for _, want := range []string{db, "pipeline run", "--state", "PIPELINE_STATE"} {
					if !strings.Contains(stderr, want) {
						t.Errorf("pipeline %s stderr = %q; want it to contain %q", strings.Join(cli, " "), stderr, want)
					}
				}
				if _, err := os.Stat(missingDir); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("pipeline %s: Stat(%s) = %v; want it not to exist", strings.Join(cli, " "), missingDir, err)
				}
			})
		}
	}
}

// TestRecordingCommandCreatesStore checks that the commands that record
// still create a missing SQLite store and its directories.
func TestRecordingCommandCreatesStore(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pipeline.hcl": envPipeline})
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"run", []string{"run", "--runner", "local"}, exitOK},
		{"deploy of a missing release", []string{"deploy", "production", "--release", "9.9.9", "--runner", "local"}, exitUsage},
		{"rollback without a target", []string{"rollback", "production", "--runner", "local"}, exitFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "new", "state.db")
			args := append(append([]string{}, tt.args...), "-C", dir, "--state", db)
			code, _, stderr := runCLI(t, args...)
			if code != tt.wantCode {
				t.Errorf("pipeline %s exit code = %d; want %d (stderr %q)", strings.Join(args, " "), code, tt.wantCode, stderr)
			}
			if _, err := os.Stat(db); err != nil {
				t.Errorf("pipeline %s: Stat(%s) = %v; want the store created", strings.Join(args, " "), db, err)
			}
		})
	}
}

// TestGCWithoutStoreStillCleans checks that gc with a missing store still
// removes partial artifact files, exits 2 and creates no store.
func TestGCWithoutStoreStillCleans(t *testing.T) {
	t.Setenv("PIPELINE_STATE", "")
	artifacts := t.TempDir()
	blob := filepath.Join(artifacts, "tmp", "blob-123")
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A name without its writer's host and pid (an older pipeline's) is
	// removed once it is a day old.
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(blob, old, old); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "no", "state.db")
	code, stdout, stderr := runCLI(t, "gc", "--state", db, "--artifacts", artifacts, "-C", t.TempDir())
	if code != exitUsage {
		t.Errorf("pipeline gc exit code = %d; want %d (stderr %q)", code, exitUsage, stderr)
	}
	if !strings.Contains(stdout, "1 partial artifact file") || !strings.Contains(stderr, "created no store") {
		t.Errorf("pipeline gc stdout = %q, stderr = %q; want the partial file counted and the store named as not created", stdout, stderr)
	}
	if _, err := os.Stat(blob); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(%s) = %v; want the partial artifact removed", blob, err)
	}
	if _, err := os.Stat(filepath.Dir(db)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(%s) = %v; want no store directory", filepath.Dir(db), err)
	}
}
