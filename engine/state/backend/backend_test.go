package backend_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/backend"
	"github.com/pipeline-cd/pipeline/internal/pgtest"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestOpenSQLite(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		url  string
		file string
	}{
		{"sqlite:" + filepath.Join(dir, "a", "state.db"), filepath.Join(dir, "a", "state.db")},
		{"sqlite://" + filepath.Join(dir, "b", "state.db"), filepath.Join(dir, "b", "state.db")},
		{filepath.Join(dir, "c", "deep", "state.db"), filepath.Join(dir, "c", "deep", "state.db")},
		{backend.DefaultURL(filepath.Join(dir, "repo")), filepath.Join(dir, "repo", ".pipeline", "state.db")},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s, err := backend.Open(t.Context(), tt.url, nil)
			if err != nil {
				t.Fatalf("Open(%q) = %v; want nil", tt.url, err)
			}
			run := &state.Run{ID: "r1", Pipeline: "webapp", Status: state.StatusRunning}
			if err := s.CreateRun(t.Context(), run); err != nil {
				t.Fatalf("CreateRun = %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("Close = %v", err)
			}
			if _, err := os.Stat(tt.file); err != nil {
				t.Fatalf("Open(%q) created no %s: %v", tt.url, tt.file, err)
			}
			// Reopening finds the data and does not migrate twice.
			s, err = backend.Open(t.Context(), tt.url, nil)
			if err != nil {
				t.Fatalf("second Open(%q) = %v; want nil", tt.url, err)
			}
			defer s.Close()
			if _, err := s.GetRun(t.Context(), "r1"); err != nil {
				t.Errorf("GetRun(%q) after reopening %q = %v; want nil", "r1", tt.url, err)
			}
		})
	}
}

func TestOpenMemory(t *testing.T) {
	s, err := backend.Open(t.Context(), "memory:", nil)
	if err != nil {
		t.Fatalf("Open(%q) = %v; want nil", "memory:", err)
	}
	defer s.Close()
	if _, err := s.GetRun(t.Context(), "x"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("GetRun on a new memory store = %v; want ErrNotFound", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	tests := []struct {
		url      string
		mention  string
		mustHide string
	}{
		{"", "PIPELINE_STATE", ""},
		{"   ", "PIPELINE_STATE", ""},
		{"mysql://root:topsecret@db/state", "mysql://root:xxxxx@db/state", "topsecret"},
		{"sqlite:", "sqlite:PATH", ""},
		{"memory:something", "unknown scheme", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			s, err := backend.Open(t.Context(), tt.url, nil)
			if !errors.Is(err, backend.ErrBadURL) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("Open(%q) = %v; want an error wrapping ErrBadURL", tt.url, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.mention) {
				t.Errorf("Open(%q) error = %q; want it to mention %q", tt.url, msg, tt.mention)
			}
			if tt.mustHide != "" && strings.Contains(msg, tt.mustHide) {
				t.Errorf("Open(%q) error = %q; want the password hidden", tt.url, msg)
			}
		})
	}
}

func TestOpenSQLiteNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, []byte("this is not a database, just text that is long enough to have a header......."), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := backend.Open(t.Context(), "sqlite:"+path, nil)
	if err == nil {
		s.Close()
		t.Fatalf("Open(%q) on a text file = nil error; want an error", path)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("Open(%q) error = %q; want it to name the file", path, err)
	}
}

func TestOpenPostgres(t *testing.T) {
	s, err := backend.Open(t.Context(), pgtest.FreshSchema(t), nil)
	if err != nil {
		t.Fatalf("Open(PIPELINE_TEST_POSTGRES) = %v; want nil", err)
	}
	defer s.Close()
	if _, err := s.GetRun(t.Context(), "no-such-run"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("GetRun(no-such-run) = %v; want ErrNotFound", err)
	}
}
