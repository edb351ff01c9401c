package docker

import (
	"context"
	"encoding/base64"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/internal/testenv"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/runnertest"
)

// TestSecretMasking runs steps that print secrets in the ways steps leak
// them and checks that output passed through engine/mask hides every one,
// while the raw stream from the engine did carry them.
func TestSecretMasking(t *testing.T) {
	r, _ := newTestRunner(t, Options{})
	const secret = "hunter2-Sup3rSecret"
	const multi = "-----BEGIN TEST KEY-----\nQUFBQUJCQkJDQ0NDREREREVFRUU=\n-----END TEST KEY-----"
	m, err := mask.New([]string{secret, multi})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		script     string
		leaks      []string // what the raw output must contain
		minChunks  int32    // writes the raw stream must arrive in
		wantMasked string
	}{
		{"plain", `echo "token is $S"`, []string{secret}, 1, "token is ***\n"},
		{"stderr", `echo "token is $S" >&2`, []string{secret}, 1, "token is ***\n"},
		{"base64", `printf %s "$S" | base64`, []string{base64.StdEncoding.EncodeToString([]byte(secret))}, 1, "***\n"},
		{"echo base64", `echo "$S" | base64`, []string{base64.StdEncoding.EncodeToString([]byte(secret + "\n"))}, 1, "***\n"},
		{"split across writes", `printf 'token=%s' "${S%%Sup3r*}"; sleep 0.3; printf '%s done\n' "${S#hunter2-}"`,
			[]string{secret}, 2, "token=*** done\n"},
		{"multi-line", `printf 'key:\n%s\n' "$M"`, []string{multi}, 1, "key:\n***\n***\n***\n"},
		{"one line of multi-line", `echo "$M" | sed -n 2p`, []string{"QUFBQUJCQkJDQ0NDREREREVFRUU="}, 1, "***\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var chunks atomic.Int32
			raw := &runnertest.Buffer{OnWrite: func([]byte) { chunks.Add(1) }}
			var masked strings.Builder
			w := m.Writer(mask.To(&masked))
			tee := teeWriter{raw, w}
			step := &runners.Step{ID: tt.name, RunID: runID(t), Image: testenv.TestImage, Script: tt.script,
				Workspace: t.TempDir(), Env: map[string]string{"S": secret, "M": multi}}
			res, err := r.Run(context.Background(), step, tee, tee)
			if err != nil || res.ExitCode != 0 {
				t.Fatalf("Run(%q) = %+v, %v; raw output %q", tt.script, res, err, raw.String())
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			for _, leak := range tt.leaks {
				if !strings.Contains(raw.String(), leak) {
					t.Fatalf("raw output of %q = %q; want it to contain %q (the test proves nothing otherwise)", tt.script, raw.String(), leak)
				}
			}
			if n := chunks.Load(); n < tt.minChunks {
				t.Fatalf("raw output of %q arrived in %d writes; want at least %d", tt.script, n, tt.minChunks)
			}
			if masked.String() != tt.wantMasked {
				t.Errorf("masked output of %q = %q; want %q", tt.script, masked.String(), tt.wantMasked)
			}
		})
	}
}

// teeWriter writes to a raw capture and to the masking writer.
type teeWriter struct {
	raw    *runnertest.Buffer
	masked interface{ Write([]byte) (int, error) }
}

func (t teeWriter) Write(p []byte) (int, error) {
	_, _ = t.raw.Write(p)
	return t.masked.Write(p)
}
