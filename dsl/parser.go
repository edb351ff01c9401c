package dsl

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Parser loads pipeline files and keeps every file it parsed, so that
// diagnostics can be rendered with source snippets. A Parser is not safe for
// concurrent use. Parsing a file name again replaces the cached file.
type Parser struct {
	files map[string]*hcl.File
}

// NewParser returns a Parser with an empty file cache.
func NewParser() *Parser {
	return &Parser{files: map[string]*hcl.File{}}
}

// Files returns every file parsed so far by name, for
// hcl.NewDiagnosticTextWriter. The map is the parser's own; do not modify it.
func (p *Parser) Files() map[string]*hcl.File {
	return p.files
}

// LoadOptions tells LoadDir how to name files and which values to use for
// variables, git.* and env().
type LoadOptions struct {
	// FilenamePrefix is put before each file name in diagnostics and
	// ranges, e.g. "examples/webapp/" or "main:examples/webapp/".
	FilenamePrefix string
	// Dir is stored in Config.Dir.
	Dir string
	// Source is stored in Config.Source; Ref and Commit are filled by the
	// caller, LoadDir fills Digest and Files.
	Source Source
	// Git holds the git.* values; Known=false makes every git.* unknown.
	Git GitInfo
	// Vars holds -var and -var-file options in command-line order; a later
	// one wins over an earlier one.
	Vars []VarArg
	// Getenv looks up environment variables for env() and PIPELINE_VAR_*;
	// nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// ReadFile reads -var-file paths; nil means os.ReadFile.
	ReadFile func(path string) ([]byte, error)
}

// IsConfigFile reports whether a file name (a base name, without directory)
// is a pipeline file: pipeline.hcl or *.pipeline.hcl. As with the shell glob,
// the * does not match a leading dot: hidden files such as ".pipeline.hcl" or
// ".draft.pipeline.hcl" are not pipeline files. It is the one rule for every
// caller, LoadDir and `pipeline fmt` alike.
func IsConfigFile(name string) bool {
	if name == "pipeline.hcl" {
		return true
	}
	return strings.HasSuffix(name, ".pipeline.hcl") && !strings.HasPrefix(name, ".")
}

// LoadDir loads every *.pipeline.hcl and pipeline.hcl at the root of fsys
// (not recursively), naming each file opts.FilenamePrefix+name in
// diagnostics and ranges. It decodes the files, applies variables, resolves
// references, checks for cycles, evaluates static attributes and checks that
// every run-time expression is type-correct with run.* and release.*
// unknown.
//
// It returns the Config, which is partial when the diagnostics hold errors,
// and every diagnostic found (not only the first). The Config is nil only
// when the directory cannot be read or holds no pipeline files; the latter
// is an error diagnostic ("No Pipeline Files") with a hint. Variable values
// come from defaults, then PIPELINE_VAR_NAME environment variables, then
// opts.Vars in order, the last one winning, as in Terraform.
//
// The returned Config is safe for concurrent use by EvalStep and EvalText.
func (p *Parser) LoadDir(fsys fs.FS, opts LoadOptions) (*Config, hcl.Diagnostics) {
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot Read Config Directory",
			Detail:   fmt.Sprintf("The directory %q could not be read: %s. Check that it exists and is readable, or pick another one with -C DIR.", dirName(opts), err),
		}}
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && IsConfigFile(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No Pipeline Files",
			Detail: fmt.Sprintf("The directory %q holds no pipeline.hcl or *.pipeline.hcl file. "+
				"Create one with a pipeline block, or point at the directory holding them with -C DIR.", dirName(opts)),
		}}
	}

	var diags hcl.Diagnostics
	digest := sha256.New()
	var files []*hcl.File
	skipped := false // a pipeline file was not parsed
	src := opts.Source
	src.Files = nil
	for _, name := range names {
		full := opts.FilenamePrefix + name
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot Read Pipeline File",
				Detail:   fmt.Sprintf("The file %q could not be read: %s. Check its permissions.", full, err),
			})
			continue
		}
		fmt.Fprintf(digest, "%s\x00%d\x00", name, len(b))
		digest.Write(b)
		if d := textProblem(b, full); d != nil {
			// Parsing a binary file would give one diagnostic per byte.
			diags = append(diags, d)
			skipped = true
			continue
		}
		f, fDiags := parseConfig(b, full, parseChunk)
		diags = append(diags, fDiags...)
		if f == nil {
			continue
		}
		p.files[full] = f
		files = append(files, f)
		src.Files = append(src.Files, full)
	}
	src.Digest = "sha256:" + hex.EncodeToString(digest.Sum(nil))

	l := &loader{
		parser:  p,
		fsys:    fsys,
		opts:    opts,
		skipped: skipped,
		cfg: &Config{
			Dir:        opts.Dir,
			Source:     src,
			Git:        opts.Git,
			Variables:  map[string]*Variable{},
			VarValues:  map[string]cty.Value{},
			Locals:     map[string]*Local{},
			Secrets:    map[string]*Secret{},
			Groups:     map[string]*Group{},
			StepImages: map[string]*StepImage{},
		},
	}
	diags = append(diags, l.load(files)...)
	finalRanges(diags)
	return l.cfg, diags
}

// parseChunk is the smallest run of source that parseConfig lexes and
// parses at once.
const parseChunk = 64 << 10

// parseConfig returns what hclsyntax.ParseConfig returns for src, but lexes
// and parses a large file in runs of at least min bytes of whole top-level
// blocks, so that the token list of the whole file (about 30 times its
// size) is never in memory at once. A run ends after a line holding only
// "}" and any empty lines, before a line starting with a letter. When a run has
// any diagnostic, or two runs set the same top-level attribute, it parses
// the whole file at once instead, so diagnostics are always hclsyntax's.
func parseConfig(src []byte, filename string, min int) (*hcl.File, hcl.Diagnostics) {
	cuts := splitPoints(src, min)
	if len(cuts) == 0 {
		return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	}
	var file *hcl.File
	var body *hclsyntax.Body
	start, pos := 0, hcl.InitialPos
	for i := 0; i <= len(cuts); i++ {
		end := len(src)
		if i < len(cuts) {
			end = cuts[i]
		}
		f, diags := hclsyntax.ParseConfig(src[start:end], filename, pos)
		b, ok := f.Body.(*hclsyntax.Body)
		if len(diags) > 0 || !ok {
			return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
		}
		if file == nil {
			// The first run's file keeps its navigation, which points at
			// body: the later runs are merged into body.
			file, body = f, b
		} else {
			for name, a := range b.Attributes {
				if _, dup := body.Attributes[name]; dup {
					return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
				}
				body.Attributes[name] = a
			}
			body.Blocks = append(body.Blocks, b.Blocks...)
			body.SrcRange = hcl.RangeBetween(body.SrcRange, b.SrcRange)
			body.EndRange = b.EndRange
		}
		pos = hcl.Pos{Line: pos.Line + bytes.Count(src[start:end], []byte{'\n'}), Column: 1, Byte: end}
		start = end
	}
	file.Bytes = src
	return file, nil
}

// splitPoints returns the offsets where parseConfig may start a new run:
// the start of a line beginning with an ASCII letter right after a line
// holding only "}" and any empty lines, at least min bytes after the
// previous split point.
func splitPoints(src []byte, min int) []int {
	var cuts []int
	last := 0
	for i := 0; ; {
		j := bytes.Index(src[i:], []byte("\n}\n"))
		if j < 0 {
			return cuts
		}
		i += j + 3
		for i < len(src) && src[i] == '\n' {
			i++
		}
		if i < len(src) && i-last >= min && isASCIILetter(src[i]) {
			cuts = append(cuts, i)
			last = i
		}
		i-- // the newline may open the next match
	}
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func dirName(opts LoadOptions) string {
	if opts.Dir != "" {
		return opts.Dir
	}
	if opts.FilenamePrefix != "" {
		return opts.FilenamePrefix
	}
	return "."
}
