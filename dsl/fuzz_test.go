package dsl

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// FuzzLoadDir loads arbitrary bytes as a pipeline file: it must never panic,
// and every failure must come back as diagnostics that point into the file.
func FuzzLoadDir(f *testing.F) {
	for _, dir := range []string{"testdata/valid", "testdata/invalid"} {
		paths, _ := filepath.Glob(filepath.Join("..", dir, "*.pipeline.hcl"))
		more, _ := filepath.Glob(filepath.Join("..", dir, "*", "*.hcl"))
		for _, p := range append(paths, more...) {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p := NewParser()
		cfg, diags := p.LoadDir(fstest.MapFS{
			"fuzz.pipeline.hcl": {Data: src},
			"motd.txt":          {Data: []byte("hello")},
		}, LoadOptions{
			FilenamePrefix: "fuzz/",
			Getenv:         func(string) (string, bool) { return "", false },
			Git:            GitInfo{CommitCount: -1},
		})
		if cfg == nil {
			t.Fatalf("LoadDir returned a nil Config for a readable directory")
		}
		for _, d := range diags {
			if d.Summary == "" {
				t.Errorf("diagnostic without summary: %#v", d)
			}
			if d.Subject == nil {
				t.Errorf("diagnostic %q has no Subject", d.Summary)
			} else if d.Subject.Filename != "fuzz/fuzz.pipeline.hcl" {
				t.Errorf("diagnostic %q points at %q; want fuzz/fuzz.pipeline.hcl", d.Summary, d.Subject.Filename)
			}
		}
		if diags.HasErrors() {
			return
		}
		// A clean config must evaluate every step without panicking.
		for _, s := range cfg.Stages {
			for _, st := range s.Steps {
				_, _ = cfg.EvalStep(s, st, Scope{RunID: "r", Release: &ReleaseValues{Version: "1"}})
			}
		}
	})
}
