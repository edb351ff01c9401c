package funcs

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/zclconf/go-cty/cty"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestFunctions(t *testing.T) {
	fsys := fstest.MapFS{
		"motd.txt":   {Data: []byte("hello\n")},
		"sub/x.txt":  {Data: []byte("x")},
		"binary.bin": {Data: []byte{0xff, 0xfe}},
	}
	env := map[string]string{"HOME": "/root"}
	fns := Functions(fsys, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	str := cty.StringVal
	tests := []struct {
		name string
		args []cty.Value
		want cty.Value
	}{
		{"upper", []cty.Value{str("abc")}, str("ABC")},
		{"format", []cty.Value{str("%s-%d"), str("v"), cty.NumberIntVal(3)}, str("v-3")},
		{"length", []cty.Value{str("héllo")}, cty.NumberIntVal(5)},
		{"length", []cty.Value{cty.ListVal([]cty.Value{str("a"), str("b")})}, cty.NumberIntVal(2)},
		{"length", []cty.Value{cty.EmptyObjectVal}, cty.NumberIntVal(0)},
		{"coalesce", []cty.Value{str(""), str("b")}, str("b")},
		{"base64encode", []cty.Value{str("hi")}, str("aGk=")},
		{"base64decode", []cty.Value{str("aGk=")}, str("hi")},
		{"sha256", []cty.Value{str("abc")}, str("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")},
		{"sha1", []cty.Value{str("abc")}, str("a9993e364706816aba3e25717850c26c9cd0d89d")},
		{"md5", []cty.Value{str("abc")}, str("900150983cd24fb0d6963f7d28e17f72")},
		{"startswith", []cty.Value{str("eu-west-1"), str("eu-")}, cty.True},
		{"endswith", []cty.Value{str("eu-west-1"), str("-2")}, cty.False},
		{"env", []cty.Value{str("HOME")}, str("/root")},
		{"env", []cty.Value{str("UNSET")}, str("")},
		{"file", []cty.Value{str("motd.txt")}, str("hello\n")},
		{"file", []cty.Value{str("./sub/../motd.txt")}, str("hello\n")},
		{"file", []cty.Value{str("sub/x.txt")}, str("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fns[tt.name].Call(tt.args)
			if err != nil {
				t.Fatalf("%s(%#v) error: %v", tt.name, tt.args, err)
			}
			if !got.RawEquals(tt.want) {
				t.Errorf("%s(%#v) = %#v; want %#v", tt.name, tt.args, got, tt.want)
			}
		})
	}
}

func TestFunctionErrors(t *testing.T) {
	fsys := fstest.MapFS{"binary.bin": {Data: []byte{0xff, 0xfe}}}
	fns := Functions(fsys, nil)
	tests := []struct {
		name string
		arg  string
	}{
		{"file", "missing.txt"},
		{"file", "/etc/passwd"},
		{"file", "../outside.txt"},
		{"file", "binary.bin"},
		{"base64decode", "!!!"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"("+tt.arg+")", func(t *testing.T) {
			if _, err := fns[tt.name].Call([]cty.Value{cty.StringVal(tt.arg)}); err == nil {
				t.Errorf("%s(%q) = nil error; want an error", tt.name, tt.arg)
			}
		})
	}
	if _, err := readFile(fsys, "missing.txt"); !errors.Is(err, ErrFileNotFound) {
		t.Errorf("file(missing) error = %v; want it to wrap ErrFileNotFound", err)
	}
}

func TestFunctionsIncludeTryAndCan(t *testing.T) {
	fns := Functions(nil, nil)
	for _, name := range []string{"try", "can", "jsonencode", "jsondecode", "merge", "lookup", "flatten", "distinct", "keys", "values", "min", "max", "abs", "join", "split", "replace", "trimspace", "substr", "concat", "contains", "element", "lower"} {
		if _, ok := fns[name]; !ok {
			t.Errorf("Functions() has no %q", name)
		}
	}
	if _, err := fns["file"].Call([]cty.Value{cty.StringVal("x")}); err == nil {
		t.Errorf("file() with a nil fsys = nil error; want an error")
	}
}
