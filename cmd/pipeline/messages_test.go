package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

// seedGates records a run of demo waiting at two gates of production:
// "go", which only carol may approve, and "old", which expired an hour ago.
func seedGates(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "state.db")
	st, err := sqlite.Open(t.Context(), db, nil)
	require.NoError(t, err)
	defer st.Close()
	now := time.Now().UTC()
	opts := `{"dir":".","gates":{"production/go":{"Environment":"production","Name":"go","Approvers":["carol@example.com"]},` +
		`"production/old":{"Environment":"production","Name":"old"}}}`
	require.NoError(t, st.CreateRun(t.Context(), &state.Run{ID: "r-gates", Pipeline: "demo", Component: ".", Kind: "run",
		Status: state.StatusWaiting, StartedAt: now.Add(-2 * time.Hour), Options: []byte(opts)}))
	require.NoError(t, st.PutGate(t.Context(), &state.Gate{RunID: "r-gates", Pipeline: "demo", Environment: "production", Name: "production/go",
		Status: "waiting", WaitingSince: now}))
	require.NoError(t, st.PutGate(t.Context(), &state.Gate{RunID: "r-gates", Pipeline: "demo", Environment: "production", Name: "production/old",
		Status: "waiting", WaitingSince: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}))
	return db
}

// TestDecisionExitCodes checks approve's and reject's exit codes: refused
// by the rules is 1; no such run or gate, or a gate that is not waiting or
// has expired, is 2; and that --help documents them.
func TestDecisionExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"not an approver", []string{"approve", "r-gates", "go", "--as", "mallory@example.com"}, exitFailed, "mallory@example.com"},
		{"reject by a non-approver", []string{"reject", "r-gates", "go", "--as", "mallory@example.com"}, exitFailed, "mallory@example.com"},
		{"expired gate", []string{"approve", "r-gates", "old", "--as", "carol@example.com"}, exitUsage, "expired"},
		{"no such gate", []string{"approve", "r-gates", "nope", "--as", "carol@example.com"}, exitUsage, `no gate "nope"`},
		{"no such run", []string{"approve", "r-nope", "go", "--as", "carol@example.com"}, exitUsage, `no run "r-nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := seedGates(t)
			args := append(append([]string{}, tt.args...), "--state", db, "-C", t.TempDir())
			code, _, stderr := runCLI(t, args...)
			if code != tt.code {
				t.Errorf("pipeline %s exit code = %d; want %d (stderr %q)", strings.Join(tt.args, " "), code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("pipeline %s stderr = %q; want it to contain %q", strings.Join(tt.args, " "), stderr, tt.want)
			}
		})
	}
	t.Run("a gate not waiting after its expiry", func(t *testing.T) {
		db := seedGates(t)
		runCLI(t, "approve", "r-gates", "old", "--as", "carol@example.com", "--state", db)
		code, _, stderr := runCLI(t, "approve", "r-gates", "old", "--as", "carol@example.com", "--state", db)
		if code != exitUsage || !strings.Contains(stderr, "gate old of production expired at") {
			t.Errorf("second approve of an expired gate: exit %d, stderr %q; want 2 and that it is expired", code, stderr)
		}
	})
	for _, verb := range []string{"approve", "reject"} {
		code, stdout, _ := runCLI(t, verb, "--help")
		if code != 0 || !strings.Contains(stdout, "1 refused by the rules") || !strings.Contains(stdout, "2 no such") || !strings.Contains(stdout, "expired") {
			t.Errorf("pipeline %s --help = %q (exit %d); want it to document exit codes 1 and 2", verb, stdout, code)
		}
	}
}

// TestMessages checks the wording of small messages: plurals, an address
// serve cannot use, and status outside a pipeline directory.
func TestMessages(t *testing.T) {
	t.Run("plural", func(t *testing.T) {
		for _, tt := range []struct {
			n    int
			want string
		}{{0, "0 containers"}, {1, "1 container"}, {2, "2 containers"}} {
			if got := plural(tt.n, "container"); got != tt.want {
				t.Errorf("plural(%d, container) = %q; want %q", tt.n, got, tt.want)
			}
		}
	})
	t.Run("fmt -check of one file", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"pipeline.hcl": "pipeline \"demo\" {\nimage=\"alpine:3.20\"\n}\n"})
		code, _, stderr := runCLI(t, "fmt", "-check", dir)
		if code != exitStopped || !strings.Contains(stderr, "1 file is not in canonical format") {
			t.Errorf("pipeline fmt -check: exit %d, stderr %q; want 3 and \"1 file is not in canonical format\"", code, stderr)
		}
	})
	t.Run("status outside a pipeline directory", func(t *testing.T) {
		db := seedGates(t)
		code, _, stderr := runCLI(t, "status", "-C", t.TempDir(), "--state", db)
		if code != exitUsage || !strings.Contains(stderr, "no pipeline here") || !strings.Contains(stderr, "pipeline status --all") {
			t.Errorf("pipeline status in an empty directory: exit %d, stderr %q; want 2 and a hint at status --all", code, stderr)
		}
	})
}
