package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/mattn/go-isatty"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine/mask"
)

// loadConfig loads the pipeline named by the global flags. On error
// diagnostics it prints them and returns an error that exits 2; warnings are
// printed and loading goes on.
func (g *globals) loadConfig() (*loader.Result, error) {
	return g.loadConfigAt(g.ref)
}

// loadConfigAt is loadConfig with an explicit ref ("" for the working tree).
func (g *globals) loadConfigAt(ref string) (*loader.Result, error) {
	vars, diags := g.varArgs()
	var res *loader.Result
	if !diags.HasErrors() {
		var more hcl.Diagnostics
		res, more = loader.Load(loader.Request{Dir: g.dir, Ref: ref, Vars: vars})
		diags = append(diags, more...)
	}
	if len(diags) > 0 {
		var files map[string]*hcl.File
		cfgs := []*dsl.Config{}
		if res != nil {
			files = res.Parser.Files()
			cfgs = append(cfgs, res.Config)
		}
		if ref != "" {
			// diff --base REF: the secrets of the working tree too.
			cfgs = append(cfgs, g.partialConfig(""))
		}
		if err := g.writeDiagnosticsMasked(files, diags, mask.ForConfig(nil, cfgs...)); err != nil {
			return nil, err
		}
	}
	if diags.HasErrors() {
		return res, exitWith(exitUsage)
	}
	return res, nil
}

// varArgs turns -var and -var-file into dsl.VarArgs in command-line order.
func (g *globals) varArgs() ([]dsl.VarArg, hcl.Diagnostics) {
	var out []dsl.VarArg
	var diags hcl.Diagnostics
	for _, o := range g.varOrder {
		tag, v, _ := strings.Cut(o, "\x00")
		if tag == "file" {
			out = append(out, dsl.VarArg{File: v})
			continue
		}
		a, d := dsl.ParseVarFlag(v)
		diags = append(diags, d...)
		out = append(out, a)
	}
	return out, diags
}

// partialConfig loads the config named by the global flags at ref ("" for
// the working tree) quietly and returns what loaded of it, even when it
// has errors, or nil when nothing did: enough to know the secrets it
// declares.
func (g *globals) partialConfig(ref string) *dsl.Config {
	vars, _ := g.varArgs()
	res, _ := loader.Load(loader.Request{Dir: g.dir, Ref: ref, Vars: vars})
	if res == nil {
		return nil
	}
	return res.Config
}

// writeDiagnostics prints diagnostics as text with source snippets to
// stderr, or as JSON to stdout with --json. Diagnostics can quote evaluated
// values: the values of the secrets the config at --ref declares (as far
// as it loads) are masked.
func (g *globals) writeDiagnostics(files map[string]*hcl.File, diags hcl.Diagnostics) error {
	return g.writeDiagnosticsMasked(files, diags, mask.ForConfig(nil, g.partialConfig(g.ref)))
}

// writeDiagnosticsMasked is writeDiagnostics with the masker m for the
// summaries, details and source snippets.
func (g *globals) writeDiagnosticsMasked(files map[string]*hcl.File, diags hcl.Diagnostics, m *mask.Masker) error {
	g.diagsPrinted = true
	diags = maskDiagnostics(diags, m)
	if g.json {
		return writeDiagnosticsJSON(g.stdout, diags)
	}
	color := !g.noColor && isTerminal(g.stderr)
	return writeDiagnosticsText(g.stderr, maskFiles(files, m), diags, color)
}

// maskDiagnostics returns copies of diags whose summaries and details have
// every secret form m knows replaced.
func maskDiagnostics(diags hcl.Diagnostics, m *mask.Masker) hcl.Diagnostics {
	if m.Empty() {
		return diags
	}
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		c := *d
		c.Summary, c.Detail = m.String(d.Summary), m.String(d.Detail)
		out[i] = &c
	}
	return out
}

// maskFiles returns files with the secret forms m knows replaced in their
// source, for the snippets: a secret written into a file is not printed
// either. A file whose source holds a secret is left out, so none of its
// snippets is printed: masking it would shift the underlined columns.
func maskFiles(files map[string]*hcl.File, m *mask.Masker) map[string]*hcl.File {
	if m.Empty() || len(files) == 0 {
		return files
	}
	out := make(map[string]*hcl.File, len(files))
	for name, f := range files {
		if f == nil {
			continue
		}
		src := string(f.Bytes)
		if masked := m.String(src); masked == src {
			out[name] = f
		}
	}
	return out
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`
	// Location is "file:line:col", for humans and grep.
	Location string `json:"location,omitempty"`
}

type jsonDiagnostics struct {
	Valid       bool             `json:"valid"`
	ErrorCount  int              `json:"error_count"`
	WarnCount   int              `json:"warning_count"`
	Diagnostics []jsonDiagnostic `json:"diagnostics"`
}

func writeDiagnosticsJSON(w io.Writer, diags hcl.Diagnostics) error {
	out := jsonDiagnostics{Valid: !diags.HasErrors(), Diagnostics: []jsonDiagnostic{}}
	for _, d := range diags {
		jd := jsonDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
			out.WarnCount++
		} else {
			out.ErrorCount++
		}
		if r := d.Subject; r != nil {
			jd.Range = &jsonRange{
				Filename: r.Filename,
				Start:    jsonPos{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:      jsonPos{r.End.Line, r.End.Column, r.End.Byte},
			}
			jd.Location = fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
