package mask

import (
	"bytes"
	"io"
	"os"
	"sort"

	"github.com/pipeline-cd/pipeline/dsl"
)

// ConfigSets returns what the configs cfgs make secret in this process:
// the value of each declared secret whose environment variable getenv
// (nil: os.LookupEnv) finds set, replaced by Replacement, and the values
// of the variables declared sensitive, replaced by SensitiveReplacement.
// nil configs are skipped; a config that did not load completely still
// declares the secrets it got to, so partial configs are welcome. Values
// shorter than MinSecretLen are left out: masking them would garble
// everything, and a run refuses such a secret before any step runs.
func ConfigSets(getenv func(string) (string, bool), cfgs ...*dsl.Config) []Set {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	secrets, sensitive := map[string]bool{}, map[string]bool{}
	for _, cfg := range cfgs {
		if cfg == nil {
			continue
		}
		for _, sec := range cfg.Secrets {
			if sec == nil || sec.Env == "" {
				continue
			}
			if v, ok := getenv(sec.Env); ok && len(v) >= MinSecretLen {
				secrets[v] = true
			}
		}
		for _, v := range cfg.SensitiveValues() {
			if len(v) >= MinSecretLen {
				sensitive[v] = true
			}
		}
	}
	return []Set{{Values: sortedKeys(secrets)}, {Values: sortedKeys(sensitive), Replacement: SensitiveReplacement}}
}

// ForConfig returns the masker of ConfigSets(getenv, cfgs...). Every
// rendering of a plan (plan, graph, run --dry-run), every diagnostic and
// diff, and everything the engine stores pass through such a masker.
func ForConfig(getenv func(string) (string, bool), cfgs ...*dsl.Config) *Masker {
	m, err := NewSets(ConfigSets(getenv, cfgs...)...)
	if err != nil {
		// Unreachable: every value is at least MinSecretLen long.
		return &Masker{}
	}
	return m
}

// Write calls write with a buffer, masks what it wrote with m and writes
// the result to w; nothing reaches w when write fails.
func Write(w io.Writer, m *Masker, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	_, err := io.WriteString(w, m.String(b.String()))
	return err
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
