package examples_test

import (
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

// wantPipelineDirs lists the example pipeline directories that must exist,
// relative to examples/.
var wantPipelineDirs = []string{
	"monorepo/api",
	"monorepo/worker",
	"webapp",
}

// pipelineDirs returns every directory under examples/ that holds a
// pipeline.hcl or *.pipeline.hcl file, sorted, so a new example is checked
// without being listed here.
func pipelineDirs(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "dist" || d.Name() == ".pipeline" || d.Name() == ".git") {
			return fs.SkipDir
		}
		name := d.Name()
		if !d.IsDir() && (name == "pipeline.hcl" || strings.HasSuffix(name, ".pipeline.hcl")) {
			seen[path.Dir(filepath.ToSlash(p))] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking examples/: %v", err)
	}
	var dirs []string
	for d := range seen {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	for _, want := range wantPipelineDirs {
		if !seen[want] {
			t.Errorf("example pipeline directory %s has no pipeline.hcl; found %v", want, dirs)
		}
	}
	return dirs
}

func TestExamplesValidate(t *testing.T) {
	for _, dir := range pipelineDirs(t) {
		t.Run(dir, func(t *testing.T) {
			res := cli(t, ".", nil, "validate", "-C", dir)
			if res.code != 0 {
				t.Fatalf("pipeline validate -C %s exit code = %d; want 0\n%s", dir, res.code, res)
			}
			// Files in examples/ must produce zero diagnostics, warnings included.
			if strings.Contains(strings.ToLower(res.stderr), "warning") {
				t.Errorf("pipeline validate -C %s printed warnings; want none\n%s", dir, res)
			}
		})
	}
}

func TestExamplesFormatted(t *testing.T) {
	for _, dir := range pipelineDirs(t) {
		t.Run(dir, func(t *testing.T) {
			res := cli(t, ".", nil, "fmt", "-check", "-diff", dir)
			if res.code != 0 {
				t.Fatalf("pipeline fmt -check %s exit code = %d; want 0 (run: pipeline fmt %s)\n%s", dir, res.code, dir, res)
			}
			if res.stdout != "" {
				t.Errorf("pipeline fmt -check %s listed files to change:\n%s", dir, res.stdout)
			}
		})
	}
}
