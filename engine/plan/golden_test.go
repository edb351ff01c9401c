package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
	"github.com/stretchr/testify/require"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/internal/golden"
)

const corpusDir = "../../testdata/plan"

// designExample is the example config of the design document, which the
// design cases of the corpus plan under different options.
const designExample = "../../testdata/valid/design_example.pipeline.hcl"

// fixtureOptions is the optional options.json of a fixture directory.
type fixtureOptions struct {
	// Config names the config the case plans, relative to the case
	// directory: a directory, or a single file planned as the case's
	// pipeline.hcl. Empty: the case directory holds its own config.
	Config  string             `json:"config"`
	Only    []string           `json:"only"`
	Skip    []string           `json:"skip"`
	Until   string             `json:"until"`
	RunID   string             `json:"run_id"`
	Release *dsl.ReleaseValues `json:"release"`
	Env     map[string]string  `json:"env"`
	// AllowPrivileged plans as with --allow-privileged.
	AllowPrivileged bool `json:"allow_privileged"`
	// AllowHost plans as with --allow-host.
	AllowHost bool `json:"allow_host"`
}

// fixtureGit is the git.* context every fixture is loaded with, so the
// goldens do not depend on the repository the tests run in.
var fixtureGit = dsl.GitInfo{
	SHA: "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39", ShortSHA: "4f2a9c1",
	Branch: "main", Author: "alice@example.com", CommitCount: 42, Known: true,
}

// readOptions reads the options.json of a corpus directory; a directory
// without one has no options.
func readOptions(t *testing.T, dir string) fixtureOptions {
	t.Helper()
	var fo fixtureOptions
	b, err := os.ReadFile(filepath.Join(dir, "options.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return fo
	}
	require.NoError(t, err, "options.json")
	require.NoError(t, json.Unmarshal(b, &fo), "options.json")
	return fo
}

// configFS returns the files of the config a corpus case plans: its own
// directory, or what its options name.
func configFS(t *testing.T, dir string, fo fixtureOptions) fs.FS {
	t.Helper()
	if fo.Config == "" {
		return os.DirFS(dir)
	}
	path := filepath.Join(dir, filepath.FromSlash(fo.Config))
	info, err := os.Stat(path)
	require.NoError(t, err, "config of %s", dir)
	if info.IsDir() {
		return os.DirFS(path)
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err, "config of %s", dir)
	return fstest.MapFS{"pipeline.hcl": {Data: b}}
}

// loadFixture loads a corpus case with dsl and returns it with its
// options; the config must load without error diagnostics.
func loadFixture(t *testing.T, name string) (*dsl.Config, Options) {
	t.Helper()
	dir := filepath.Join(corpusDir, name)
	fo := readOptions(t, dir)
	cfg, diags := dsl.NewParser().LoadDir(configFS(t, dir, fo), dsl.LoadOptions{
		FilenamePrefix: name + "/",
		Dir:            name,
		Git:            fixtureGit,
		Getenv: func(k string) (string, bool) {
			v, ok := fo.Env[k]
			return v, ok
		},
	})
	require.False(t, diags.HasErrors(), "LoadDir(%s): %v", name, diags)
	return cfg, Options{
		Only: fo.Only, Skip: fo.Skip, Until: fo.Until,
		Scope:           dsl.Scope{RunID: fo.RunID, Release: fo.Release},
		AllowPrivileged: fo.AllowPrivileged,
		AllowHost:       fo.AllowHost,
	}
}

// render returns every rendering of p by golden file name.
func render(t *testing.T, p *Plan) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"plan.golden.txt":  func(b *bytes.Buffer) error { return p.WriteText(b) },
		"plan.golden.json": func(b *bytes.Buffer) error { return p.WriteJSON(b) },
		"graph.golden.dot": func(b *bytes.Buffer) error { return p.WriteDOT(b) },
		"graph.golden.mmd": func(b *bytes.Buffer) error { return p.WriteMermaid(b) },
	} {
		var b bytes.Buffer
		require.NoError(t, write(&b), name)
		out[name] = b.Bytes()
	}
	return out
}

// renderError renders a planning error for error.golden.txt.
func renderError(err error) []byte {
	var b strings.Builder
	var sel *SelectionError
	var diags hcl.Diagnostics
	switch {
	case errors.As(err, &sel):
		for _, p := range sel.Problems {
			b.WriteString("selection: " + p.Flag + " stage=" + p.Stage + " missing=" + p.Missing + " name=" + p.Name + "\n  " + p.Detail + "\n")
		}
	case errors.As(err, &diags):
		for _, d := range diags {
			b.WriteString("diagnostic: " + d.Summary)
			if d.Subject != nil {
				b.WriteString(" at " + d.Subject.String())
			}
			b.WriteString("\n  " + d.Detail + "\n")
		}
	default:
		b.WriteString("error: " + err.Error() + "\n")
	}
	return []byte(b.String())
}

func corpus(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		// A case holds its config or names one in options.json; other
		// directories hold goldens of other tests.
		dir := filepath.Join(corpusDir, e.Name())
		if _, err := os.Stat(filepath.Join(dir, "pipeline.hcl")); err == nil || readOptions(t, dir).Config != "" {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

func TestGolden(t *testing.T) {
	names := corpus(t)
	if len(names) < 15 {
		t.Errorf("corpus has %d configs; want at least 15", len(names))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(corpusDir, name)
			cfg, opts := loadFixture(t, name)
			p, err := New(cfg, opts)
			if err != nil {
				golden.Check(t, filepath.Join(dir, "error.golden.txt"), renderError(err))
				return
			}
			if _, err := os.Stat(filepath.Join(dir, "error.golden.txt")); err == nil && !*golden.Update {
				t.Fatalf("New(%s) succeeded; error.golden.txt expects an error", name)
			}
			for file, got := range render(t, p) {
				golden.Check(t, filepath.Join(dir, file), got)
			}
		})
	}
}

// TestDeterministic plans every corpus config many times, each from a
// fresh load, and requires byte-identical output.
func TestDeterministic(t *testing.T) {
	for _, name := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			var first map[string][]byte
			for i := range 20 {
				cfg, opts := loadFixture(t, name)
				p, err := New(cfg, opts)
				if err != nil {
					return // error goldens are covered by TestGolden
				}
				got := render(t, p)
				if i == 0 {
					first = got
					continue
				}
				for file := range got {
					if !bytes.Equal(first[file], got[file]) {
						t.Fatalf("run %d: %s differs from run 0", i, file)
					}
				}
			}
		})
	}
}
