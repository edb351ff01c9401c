package dsl

import (
	"testing"
	"testing/fstest"
)

func TestIsConfigFile(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"pipeline.hcl", true},
		{"deploy.pipeline.hcl", true},
		{"a.b.pipeline.hcl", true},
		{".pipeline.hcl", false},
		{".draft.pipeline.hcl", false},
		{".pipeline.hcl.swp", false},
		{"pipeline.hcl.bak", false},
		{"Pipeline.hcl", false},
		{"main.tf", false},
		{"xpipeline.hcl", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsConfigFile(tt.name); got != tt.want {
				t.Errorf("IsConfigFile(%q) = %v; want %v", tt.name, got, tt.want)
			}
		})
	}
}

// TestLoadDirSkipsHiddenFiles checks that LoadDir applies IsConfigFile: a
// hidden ".pipeline.hcl" that would not even parse is not loaded.
func TestLoadDirSkipsHiddenFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"pipeline.hcl":        {Data: []byte("pipeline \"p\" {\n  image = \"alpine:3.20\"\n}\n")},
		".pipeline.hcl":       {Data: []byte("this is { not hcl\n")},
		".draft.pipeline.hcl": {Data: []byte("this is { not hcl either\n")},
	}
	cfg, diags := NewParser().LoadDir(fsys, LoadOptions{Git: GitInfo{CommitCount: -1}})
	if diags.HasErrors() {
		t.Fatalf("LoadDir() diagnostics = %v; want none (hidden files must be skipped)", diags)
	}
	if want := []string{"pipeline.hcl"}; cfg == nil || len(cfg.Source.Files) != 1 || cfg.Source.Files[0] != want[0] {
		var got []string
		if cfg != nil {
			got = cfg.Source.Files
		}
		t.Errorf("LoadDir() files = %q; want %q", got, want)
	}
}
