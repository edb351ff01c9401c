package dsl

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

const varsConfig = `
pipeline "vars" {
  image = "alpine:3.20"
}

variable "name" {
  type    = string
  default = "from-default"
}

variable "count" {
  type    = number
  default = 1
}

variable "tags" {
  type    = list(string)
  default = []
}

variable "region" {
  type = string
  validation {
    condition     = startswith(var.region, "eu-")
    error_message = "The region must be in the EU."
  }
}

build "a" {
  step "s" { run = "echo ${var.name} ${var.count} ${join(",", var.tags)} ${var.region}" }
}
`

func loadVars(t *testing.T, env map[string]string, files map[string]string, args ...VarArg) (*Config, hcl.Diagnostics) {
	t.Helper()
	p := NewParser()
	return p.LoadDir(fstest.MapFS{"pipeline.hcl": {Data: []byte(varsConfig)}}, LoadOptions{
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ReadFile: func(path string) ([]byte, error) {
			if s, ok := files[path]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		},
		Vars: args,
	})
}

func TestVariablePrecedence(t *testing.T) {
	files := map[string]string{
		"a.vars":      "name = \"from-file-a\"\ncount = 5\n",
		"b.vars":      "name = \"from-file-b\"\ntags = [\"x\", \"y\"]\n",
		"c.vars.json": `{"name": "from-json", "count": 9}`,
	}
	baseEnv := map[string]string{"PIPELINE_VAR_region": "eu-west-1"}
	tests := []struct {
		name string
		env  map[string]string
		args []VarArg
		want map[string]cty.Value
	}{
		{
			name: "defaults",
			want: map[string]cty.Value{"name": cty.StringVal("from-default"), "count": cty.NumberIntVal(1)},
		},
		{
			name: "environment beats default",
			env:  map[string]string{"PIPELINE_VAR_name": "from-env", "PIPELINE_VAR_count": "7"},
			want: map[string]cty.Value{"name": cty.StringVal("from-env"), "count": cty.NumberIntVal(7)},
		},
		{
			name: "var-file beats environment",
			env:  map[string]string{"PIPELINE_VAR_name": "from-env"},
			args: []VarArg{{File: "a.vars"}},
			want: map[string]cty.Value{"name": cty.StringVal("from-file-a"), "count": cty.NumberIntVal(5)},
		},
		{
			name: "later var-file wins",
			args: []VarArg{{File: "a.vars"}, {File: "b.vars"}},
			want: map[string]cty.Value{"name": cty.StringVal("from-file-b"), "count": cty.NumberIntVal(5),
				"tags": cty.ListVal([]cty.Value{cty.StringVal("x"), cty.StringVal("y")})},
		},
		{
			name: "JSON var-file",
			args: []VarArg{{File: "c.vars.json"}},
			want: map[string]cty.Value{"name": cty.StringVal("from-json"), "count": cty.NumberIntVal(9)},
		},
		{
			name: "var after var-file wins",
			args: []VarArg{{File: "a.vars"}, {Name: "name", Value: "from-flag"}},
			want: map[string]cty.Value{"name": cty.StringVal("from-flag")},
		},
		{
			name: "var-file after var wins",
			args: []VarArg{{Name: "name", Value: "from-flag"}, {File: "a.vars"}},
			want: map[string]cty.Value{"name": cty.StringVal("from-file-a")},
		},
		{
			name: "var values are parsed as HCL for non-primitive types",
			args: []VarArg{{Name: "tags", Value: `["p", "q"]`}, {Name: "count", Value: "42"}},
			want: map[string]cty.Value{"tags": cty.ListVal([]cty.Value{cty.StringVal("p"), cty.StringVal("q")}),
				"count": cty.NumberIntVal(42)},
		},
		{
			name: "flag beats environment",
			env:  map[string]string{"PIPELINE_VAR_region": "eu-central-1"},
			args: []VarArg{{Name: "region", Value: "eu-north-1"}},
			want: map[string]cty.Value{"region": cty.StringVal("eu-north-1")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range baseEnv {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, diags := loadVars(t, env, files, tt.args...)
			if len(diags) > 0 {
				t.Fatalf("LoadDir with %v: %s", tt.args, diags.Error())
			}
			for name, want := range tt.want {
				if got := cfg.VarValues[name]; !got.RawEquals(want) {
					t.Errorf("var.%s = %#v; want %#v", name, got, want)
				}
			}
		})
	}
}

func TestVariableErrors(t *testing.T) {
	files := map[string]string{
		"bad.vars":     "name = [1]\n",
		"unknown.vars": "nmae = \"x\"\nregion = \"eu-west-1\"\n",
		"syntax.vars":  "name = \n",
	}
	tests := []struct {
		name string
		env  map[string]string
		args []VarArg
		want []string
	}{
		{name: "missing required", want: []string{"Missing Required Variable"}},
		{name: "validation fails", args: []VarArg{{Name: "region", Value: "us-east-1"}}, want: []string{"Invalid Value for Variable"}},
		{name: "undeclared -var", args: []VarArg{{Name: "regoin", Value: "eu-west-1"}},
			want: []string{"Value for Undeclared Variable", "Missing Required Variable"}},
		{name: "wrong type from flag", args: []VarArg{{Name: "region", Value: "eu-west-1"}, {Name: "count", Value: "many"}},
			want: []string{"Invalid Value for Variable"}},
		{name: "wrong type from env", env: map[string]string{"PIPELINE_VAR_region": "eu-west-1", "PIPELINE_VAR_tags": "[1,"},
			want: []string{"Missing expression"}},
		{name: "wrong type in file", args: []VarArg{{Name: "region", Value: "eu-west-1"}, {File: "bad.vars"}},
			want: []string{"Invalid Value for Variable"}},
		{name: "undeclared in file", args: []VarArg{{File: "unknown.vars"}}, want: []string{"Value for Undeclared Variable"}},
		{name: "missing file", args: []VarArg{{Name: "region", Value: "eu-west-1"}, {File: "nope.vars"}},
			want: []string{"Cannot Read Variables File"}},
		{name: "syntax error in file", args: []VarArg{{Name: "region", Value: "eu-west-1"}, {File: "syntax.vars"}},
			want: []string{"Invalid expression"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := loadVars(t, tt.env, files, tt.args...)
			var got []string
			for _, d := range diags {
				got = append(got, d.Summary)
				if d.Detail == "" {
					t.Errorf("diagnostic %q has no detail", d.Summary)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadDir(vars %v) summaries (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestVariableErrorNamesHowToSet(t *testing.T) {
	_, diags := loadVars(t, nil, nil)
	if len(diags) != 1 {
		t.Fatalf("LoadDir = %d diagnostics; want 1", len(diags))
	}
	d := diags[0]
	for _, want := range []string{"-var region=", "-var-file", "PIPELINE_VAR_region"} {
		if !strings.Contains(d.Detail, want) {
			t.Errorf("Missing Required Variable detail %q does not mention %q", d.Detail, want)
		}
	}
	if d.Subject == nil || d.Subject.Start.Line != 21 {
		t.Errorf("Missing Required Variable subject = %v; want the variable block at line 21", d.Subject)
	}
}

func TestParseVarFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    VarArg
		wantErr bool
	}{
		{in: "name=value", want: VarArg{Name: "name", Value: "value"}},
		{in: "name=a=b", want: VarArg{Name: "name", Value: "a=b"}},
		{in: "name=", want: VarArg{Name: "name", Value: ""}},
		{in: `tags=["a"]`, want: VarArg{Name: "tags", Value: `["a"]`}},
		{in: "novalue", wantErr: true},
		{in: "=value", wantErr: true},
		{in: "bad name=x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, diags := ParseVarFlag(tt.in)
			if diags.HasErrors() != tt.wantErr {
				t.Fatalf("ParseVarFlag(%q) errors = %v; want error %v", tt.in, diags, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseVarFlag(%q) = %+v; want %+v", tt.in, got, tt.want)
			}
			if tt.wantErr && diags[0].Summary != "Invalid -var Option" {
				t.Errorf("ParseVarFlag(%q) summary = %q; want %q", tt.in, diags[0].Summary, "Invalid -var Option")
			}
		})
	}
}

func TestNoPipelineFiles(t *testing.T) {
	_, diags := NewParser().LoadDir(fstest.MapFS{"README.md": {Data: []byte("hi")}, "sub/pipeline.hcl": {Data: []byte("x")}},
		LoadOptions{Dir: "examples/empty"})
	if len(diags) != 1 || diags[0].Summary != "No Pipeline Files" {
		t.Fatalf("LoadDir(empty dir) = %v; want one No Pipeline Files diagnostic", diags)
	}
	if !strings.Contains(diags[0].Detail, "-C DIR") || !strings.Contains(diags[0].Detail, "examples/empty") {
		t.Errorf("No Pipeline Files detail %q should name the directory and -C DIR", diags[0].Detail)
	}
}

func TestLoadDirUnreadable(t *testing.T) {
	_, diags := NewParser().LoadDir(errFS{}, LoadOptions{Dir: "gone"})
	if len(diags) != 1 || diags[0].Summary != "Cannot Read Config Directory" {
		t.Fatalf("LoadDir(unreadable) = %v; want Cannot Read Config Directory", diags)
	}
}

type errFS struct{}

func (errFS) Open(string) (fs.File, error) { return nil, errors.New("permission denied") }

func TestSourceDigest(t *testing.T) {
	load := func(files fstest.MapFS, prefix string) Source {
		t.Helper()
		cfg, diags := NewParser().LoadDir(files, LoadOptions{FilenamePrefix: prefix, Source: Source{Ref: "main", Commit: "abc"}})
		if cfg == nil {
			t.Fatalf("LoadDir: %s", diags.Error())
		}
		return cfg.Source
	}
	a := fstest.MapFS{"pipeline.hcl": {Data: []byte("pipeline \"x\" {}\n")}, "b.pipeline.hcl": {Data: []byte("# b\n")}, "notes.txt": {Data: []byte("ignored")}}
	b := fstest.MapFS{"pipeline.hcl": {Data: []byte("pipeline \"x\" {}\n")}, "b.pipeline.hcl": {Data: []byte("# b\n")}}
	c := fstest.MapFS{"pipeline.hcl": {Data: []byte("pipeline \"y\" {}\n")}, "b.pipeline.hcl": {Data: []byte("# b\n")}}
	d := fstest.MapFS{"pipeline.hcl": {Data: []byte("pipeline \"x\" {}\n")}, "c.pipeline.hcl": {Data: []byte("# b\n")}}

	sa, sb := load(a, "main:dir/"), load(b, "")
	if !strings.HasPrefix(sa.Digest, "sha256:") || len(sa.Digest) != len("sha256:")+64 {
		t.Errorf("Digest = %q; want sha256: and 64 hex digits", sa.Digest)
	}
	if sa.Digest != sb.Digest {
		t.Errorf("Digest differs with prefix or non-pipeline files: %q vs %q", sa.Digest, sb.Digest)
	}
	if got := load(c, "").Digest; got == sa.Digest {
		t.Errorf("Digest unchanged when a file's contents change")
	}
	if got := load(d, "").Digest; got == sa.Digest {
		t.Errorf("Digest unchanged when a file is renamed")
	}
	if diff := cmp.Diff([]string{"main:dir/b.pipeline.hcl", "main:dir/pipeline.hcl"}, sa.Files); diff != "" {
		t.Errorf("Source.Files (-want +got):\n%s", diff)
	}
	if sa.Ref != "main" || sa.Commit != "abc" {
		t.Errorf("Source = %+v; want the caller's Ref and Commit kept", sa)
	}
}
