// Package funcs holds the functions available in pipeline expressions: the
// usual HCL and Terraform set (strings, collections, numbers, encoding,
// hashing, type conversion, try and can) plus env and file.
//
// It imports nothing else from this module.
package funcs

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// ErrFileNotFound is wrapped by the error that reading a missing file for
// file() produces; cty reports it to HCL as an argument error.
var ErrFileNotFound = errors.New("file not found")

// Functions returns the functions available in expressions, keyed by the
// name used in HCL. fsys is the config directory: file(path) reads path
// relative to it. getenv looks up environment variables for env(name); an
// unset variable reads as "". A nil getenv makes every env() call return "".
//
// The returned map is new on every call; callers may add to it.
func Functions(fsys fs.FS, getenv func(string) (string, bool)) map[string]function.Function {
	if getenv == nil {
		getenv = func(string) (string, bool) { return "", false }
	}
	m := map[string]function.Function{
		// Strings.
		"upper":         stdlib.UpperFunc,
		"lower":         stdlib.LowerFunc,
		"title":         stdlib.TitleFunc,
		"format":        stdlib.FormatFunc,
		"formatlist":    stdlib.FormatListFunc,
		"join":          stdlib.JoinFunc,
		"split":         stdlib.SplitFunc,
		"replace":       stdlib.ReplaceFunc,
		"regex":         stdlib.RegexFunc,
		"regexall":      stdlib.RegexAllFunc,
		"regex_replace": stdlib.RegexReplaceFunc,
		"trim":          stdlib.TrimFunc,
		"trimspace":     stdlib.TrimSpaceFunc,
		"trimprefix":    stdlib.TrimPrefixFunc,
		"trimsuffix":    stdlib.TrimSuffixFunc,
		"chomp":         stdlib.ChompFunc,
		"indent":        stdlib.IndentFunc,
		"substr":        stdlib.SubstrFunc,
		"strlen":        stdlib.StrlenFunc,
		"strrev":        stdlib.ReverseFunc,
		"startswith":    startsWithFunc,
		"endswith":      endsWithFunc,
		// Collections.
		"length":          lengthFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"keys":            stdlib.KeysFunc,
		"values":          stdlib.ValuesFunc,
		"merge":           stdlib.MergeFunc,
		"lookup":          stdlib.LookupFunc,
		"element":         stdlib.ElementFunc,
		"index":           stdlib.IndexFunc,
		"flatten":         stdlib.FlattenFunc,
		"distinct":        stdlib.DistinctFunc,
		"compact":         stdlib.CompactFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        coalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"reverse":         stdlib.ReverseListFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"range":           stdlib.RangeFunc,
		"zipmap":          stdlib.ZipmapFunc,
		"setunion":        stdlib.SetUnionFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setproduct":      stdlib.SetProductFunc,
		// Numbers.
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"log":      stdlib.LogFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"pow":      stdlib.PowFunc,
		"signum":   stdlib.SignumFunc,
		"parseint": stdlib.ParseIntFunc,
		// Encoding and hashing.
		"jsonencode":   stdlib.JSONEncodeFunc,
		"jsondecode":   stdlib.JSONDecodeFunc,
		"csvdecode":    stdlib.CSVDecodeFunc,
		"base64encode": base64EncodeFunc,
		"base64decode": base64DecodeFunc,
		"md5":          hashFunc(md5.New),
		"sha1":         hashFunc(sha1.New),
		"sha256":       hashFunc(sha256.New),
		"sha512":       hashFunc(sha512.New),
		// Time.
		"formatdate": stdlib.FormatDateFunc,
		"timeadd":    stdlib.TimeAddFunc,
		// Type conversion.
		"tostring": stdlib.MakeToFunc(cty.String),
		"tonumber": stdlib.MakeToFunc(cty.Number),
		"tobool":   stdlib.MakeToFunc(cty.Bool),
		"tolist":   stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset":    stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tomap":    stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		// Error handling.
		"try": tryfunc.TryFunc,
		"can": tryfunc.CanFunc,
		// Environment.
		"env":  envFunc(getenv),
		"file": fileFunc(fsys),
	}
	return m
}

func stringParam(name string) function.Parameter {
	return function.Parameter{Name: name, Type: cty.String}
}

// lengthFunc is Terraform's length: the number of elements of a collection
// or structural value, or the number of characters of a string.
var lengthFunc = function.New(&function.Spec{
	Description: "Returns the number of elements of a collection or the number of characters of a string.",
	Params: []function.Parameter{{
		Name:             "value",
		Type:             cty.DynamicPseudoType,
		AllowDynamicType: true,
		AllowUnknown:     true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		switch {
		case ty == cty.String, ty == cty.DynamicPseudoType,
			ty.IsCollectionType(), ty.IsTupleType(), ty.IsObjectType():
			return cty.Number, nil
		default:
			return cty.NilType, function.NewArgErrorf(0, "argument must be a string, a collection type, or a structural type")
		}
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		v := args[0]
		if v.IsNull() {
			return cty.NilVal, function.NewArgErrorf(0, "argument must not be null")
		}
		switch {
		case v.Type() == cty.String:
			if !v.IsKnown() {
				return cty.UnknownVal(cty.Number), nil
			}
			return stdlib.Strlen(v)
		case v.Type().IsTupleType():
			return cty.NumberIntVal(int64(v.Type().Length())), nil
		case v.Type().IsObjectType():
			return cty.NumberIntVal(int64(len(v.Type().AttributeTypes()))), nil
		case !v.IsKnown():
			return cty.UnknownVal(cty.Number), nil
		case v.Type() == cty.DynamicPseudoType:
			return cty.UnknownVal(cty.Number), nil
		default:
			return v.Length(), nil
		}
	},
})

// coalesceFunc is Terraform's coalesce: the first argument that is neither
// null nor an empty string.
var coalesceFunc = function.New(&function.Spec{
	Description: "Returns the first argument that is neither null nor an empty string.",
	VarParam: &function.Parameter{
		Name:             "vals",
		Type:             cty.DynamicPseudoType,
		AllowUnknown:     true,
		AllowDynamicType: true,
		AllowNull:        true,
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		return stdlib.CoalesceFunc.ReturnTypeForValues(args)
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		kept := make([]cty.Value, 0, len(args))
		for _, v := range args {
			if v.Type() == cty.String && v.IsKnown() && !v.IsNull() && v.AsString() == "" {
				continue
			}
			kept = append(kept, v)
		}
		if len(kept) == 0 {
			return cty.NilVal, errors.New("no non-null, non-empty-string arguments")
		}
		return stdlib.CoalesceFunc.Call(kept)
	},
})

var startsWithFunc = function.New(&function.Spec{
	Description: "Reports whether the string starts with the prefix.",
	Params:      []function.Parameter{stringParam("str"), stringParam("prefix")},
	Type:        function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.BoolVal(strings.HasPrefix(args[0].AsString(), args[1].AsString())), nil
	},
})

var endsWithFunc = function.New(&function.Spec{
	Description: "Reports whether the string ends with the suffix.",
	Params:      []function.Parameter{stringParam("str"), stringParam("suffix")},
	Type:        function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.BoolVal(strings.HasSuffix(args[0].AsString(), args[1].AsString())), nil
	},
})

var base64EncodeFunc = function.New(&function.Spec{
	Description: "Encodes the UTF-8 bytes of a string as standard Base64.",
	Params:      []function.Parameter{stringParam("str")},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(args[0].AsString()))), nil
	},
})

var base64DecodeFunc = function.New(&function.Spec{
	Description: "Decodes standard Base64 into a UTF-8 string.",
	Params:      []function.Parameter{stringParam("str")},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		b, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "failed to decode base64 data: %s", err)
		}
		if !utf8.Valid(b) {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "the decoded result is not valid UTF-8")
		}
		return cty.StringVal(string(b)), nil
	},
})

// hashFunc returns a function that hashes the UTF-8 bytes of a string and
// returns the lowercase hex digest.
func hashFunc(newHash func() hash.Hash) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the hex digest of the string's UTF-8 bytes.",
		Params:      []function.Parameter{stringParam("str")},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			h := newHash()
			h.Write([]byte(args[0].AsString()))
			return cty.StringVal(hex.EncodeToString(h.Sum(nil))), nil
		},
	})
}

// envFunc returns env(name): the value of an environment variable, or ""
// when it is unset.
func envFunc(getenv func(string) (string, bool)) function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable, or an empty string when it is not set.",
		Params:      []function.Parameter{stringParam("name")},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, _ := getenv(args[0].AsString())
			return cty.StringVal(v), nil
		},
	})
}

// fileFunc returns file(path): the contents of a UTF-8 file, read from fsys.
func fileFunc(fsys fs.FS) function.Function {
	return function.New(&function.Spec{
		Description: "Reads a UTF-8 text file, relative to the directory holding the pipeline files.",
		Params:      []function.Parameter{stringParam("path")},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := readFile(fsys, args[0].AsString())
			if err != nil {
				return cty.UnknownVal(cty.String), function.NewArgError(0, err)
			}
			return cty.StringVal(string(b)), nil
		},
	})
}

func readFile(fsys fs.FS, name string) ([]byte, error) {
	if fsys == nil {
		return nil, fmt.Errorf("cannot read %q: no config directory is available to read files from", name)
	}
	if path.IsAbs(name) || strings.HasPrefix(name, `\`) || (len(name) > 1 && name[1] == ':') {
		return nil, fmt.Errorf("cannot read %q: file paths must be relative to the directory holding the pipeline files", name)
	}
	clean := path.Clean(name)
	if !fs.ValidPath(clean) {
		return nil, fmt.Errorf("cannot read %q: the path leaves the directory holding the pipeline files; use a path inside it", name)
	}
	b, err := fs.ReadFile(fsys, clean)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no file exists at %q relative to the directory holding the pipeline files: %w", name, ErrFileNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %q: %w", name, err)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("contents of %q are not valid UTF-8; file() reads text files only", name)
	}
	return b, nil
}
