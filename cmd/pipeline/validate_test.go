package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

// runCLI runs the CLI in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

const validPipeline = `pipeline "demo" {
  image = "alpine:3.20"
}

build "app" {
  step "compile" {
    run = "echo compile"
  }
}
`

// tenErrors has ten distinct problems, one per marked line.
const tenErrors = `pipeline "demo" {
  image = "alpine:3.20"
  colour = "blue"
}

build "app" {
  step "compile" {
    run     = "echo ${var.nope}"
    timeout = "forever"
    retries = -1
    needs   = [step.missing]
  }
  step "compile" {
    run = "x"
  }
  step "both" {
    run     = "a"
    command = ["b"]
  }
  step "s" {
    run     = "x"
    secrets = [secret.unknown]
  }
}

test "t" {
  needs = [build.nope]
  gate "g" {}
}

environment "prod" {
  requires = [environment.prod]
}
`

// binaryPipelineFile is 300 bytes shaped like the start of an executable
// (head -c 300 /bin/ls): an ELF header with NUL bytes, then bytes that are
// not UTF-8.
var binaryPipelineFile = func() string {
	b := []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x3e\x00")
	for i := 0; len(b) < 300; i++ {
		b = append(b, byte(i*37+0x80))
	}
	return string(b)
}()

func TestValidateUserErrors(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name      string
		files     map[string]string
		dir       string // overrides the written directory
		wantInErr []string
		// wantErrors is the number of error diagnostics; 0: not checked.
		wantErrors int
	}{
		{name: "malformed", files: map[string]string{"pipeline.hcl": "pipeline \"x\" {\n  image = \n"}, wantInErr: []string{"pipeline.hcl:"}},
		{name: "ten errors", files: map[string]string{"pipeline.hcl": tenErrors}, wantInErr: []string{"Unsupported argument", "Duplicate", "pipeline.hcl:3:3"}},
		{name: "binary file", files: map[string]string{"pipeline.hcl": binaryPipelineFile},
			wantInErr: []string{"Error: Binary File", "pipeline.hcl:1:8", "line 1, column 8 (byte offset 7)", "rename it", "1 error, 0 warnings."}, wantErrors: 1},
		{name: "binary file beside a valid one", files: map[string]string{"pipeline.hcl": validPipeline, "logo.pipeline.hcl": binaryPipelineFile},
			wantInErr: []string{"Error: Binary File", "logo.pipeline.hcl:1:8", "1 error, 0 warnings."}, wantErrors: 1},
		{name: "empty directory", dir: empty, wantInErr: []string{"No Pipeline Files"}},
		{name: "missing directory", dir: filepath.Join(empty, "nope"), wantInErr: []string{"does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir
			if dir == "" {
				dir = writeFiles(t, tt.files)
			}
			code, _, stderr := runCLI(t, "validate", "-C", dir, "--no-color")
			if code != exitUsage {
				t.Fatalf("validate exit code = %d; want %d\nstderr:\n%s", code, exitUsage, stderr)
			}
			for _, want := range tt.wantInErr {
				if !strings.Contains(stderr, want) {
					t.Errorf("validate stderr does not contain %q:\n%s", want, stderr)
				}
			}
			if got := strings.Count(stderr, "Error: "); tt.wantErrors > 0 && got != tt.wantErrors {
				t.Errorf("validate printed %d errors; want %d:\n%s", got, tt.wantErrors, stderr)
			}
			for _, bad := range []string{"panic", "goroutine ", ".go:"} {
				if strings.Contains(stderr, bad) {
					t.Errorf("validate stderr contains %q (a Go panic or stack trace):\n%s", bad, stderr)
				}
			}
		})
	}
}

func TestValidateTenErrorsInOnePass(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pipeline.hcl": tenErrors})
	code, stdout, _ := runCLI(t, "validate", "-C", dir, "--json")
	require.Equal(t, exitUsage, code)
	var out jsonDiagnostics
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	if out.Valid || out.ErrorCount < 10 {
		t.Fatalf("validate --json: valid=%v errors=%d; want invalid with >= 10 errors:\n%s", out.Valid, out.ErrorCount, stdout)
	}
	for _, d := range out.Diagnostics {
		if d.Range == nil || d.Range.Start.Line == 0 {
			t.Errorf("diagnostic %q has no location", d.Summary)
		}
		if d.Detail == "" {
			t.Errorf("diagnostic %q has no detail", d.Summary)
		}
	}
}

func TestValidateValid(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pipeline.hcl": validPipeline})
	code, stdout, stderr := runCLI(t, "validate", "-C", dir)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, `"demo"`)
	require.Contains(t, stdout, "valid")

	code, stdout, _ = runCLI(t, "validate", "-C", dir, "--json")
	require.Equal(t, exitOK, code)
	var out jsonDiagnostics
	require.NoError(t, json.Unmarshal([]byte(stdout), &out))
	require.True(t, out.Valid)
	require.Empty(t, out.Diagnostics)
}

func TestSingleDashLongFlags(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pipeline.hcl": "variable \"who\" {\n  type = string\n}\n" + validPipeline})
	code, _, stderr := runCLI(t, "validate", "-C", dir, "-var", "who=me")
	require.Equal(t, exitOK, code, stderr)
	code, _, stderr = runCLI(t, "validate", "-C", dir)
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "who")
}

func TestUnknownFlagIsUsageError(t *testing.T) {
	code, _, stderr := runCLI(t, "validate", "--frobnicate")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "--frobnicate")
}

func TestFmtCheck(t *testing.T) {
	dir := writeFiles(t, map[string]string{"pipeline.hcl": "pipeline \"x\" {\nimage=\"a\"\n}\n"})
	path := filepath.Join(dir, "pipeline.hcl")
	code, stdout, _ := runCLI(t, "fmt", "-check", "-diff", dir)
	require.Equal(t, exitStopped, code)
	require.Contains(t, stdout, "pipeline.hcl")
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "pipeline \"x\" {\nimage=\"a\"\n}\n", string(before), "fmt -check must not write")

	code, _, stderr := runCLI(t, "fmt", dir)
	require.Equal(t, exitOK, code, stderr)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "pipeline \"x\" {\n  image = \"a\"\n}\n", string(after))

	code, _, _ = runCLI(t, "fmt", "-check", dir)
	require.Equal(t, exitOK, code)
}

func TestFmtSyntaxErrorNotRewritten(t *testing.T) {
	const src = "pipeline \"x\" {\n  image = \n"
	dir := writeFiles(t, map[string]string{"pipeline.hcl": src})
	code, _, _ := runCLI(t, "fmt", dir)
	require.Equal(t, exitUsage, code)
	got, err := os.ReadFile(filepath.Join(dir, "pipeline.hcl"))
	require.NoError(t, err)
	require.Equal(t, src, string(got))
}

func TestArgumentErrorsAreUsageErrors(t *testing.T) {
	tests := [][]string{
		{"valdiate"},
		{"runs", "extra"},
		{"approve", "only-one-arg"},
		{"version", "extra"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, args...)
			if code != exitUsage {
				t.Errorf("pipeline %v exit code = %d; want %d\nstderr:\n%s", args, code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, "--help") {
				t.Errorf("pipeline %v stderr does not say how to get help:\n%s", args, stderr)
			}
		})
	}
	_, _, stderr := runCLI(t, "valdiate")
	require.Contains(t, stderr, "Did you mean this?\n\tvalidate")
}
