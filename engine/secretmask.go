package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/mask"
)

// SecretMasker returns the masker for the secrets cfg declares whose
// environment variable getenv finds set (nil getenv: os.LookupEnv): the
// same values the run's log masker hides, plus each value's JSON-escaped
// forms, so that it also masks JSON documents such as the stored plan. A
// value shorter than mask.MinSecretLen is left out: masking it would garble
// everything, and a run refuses such a secret before any step runs. Every
// rendering of a plan (plan, graph, run --dry-run) and the plan stored
// with a run pass through it. A nil cfg gives a masker that masks nothing.
func SecretMasker(cfg *dsl.Config, getenv func(string) (string, bool)) *mask.Masker {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	var values []string
	if cfg != nil {
		for _, name := range sortedKeys(cfg.Secrets) {
			sec := cfg.Secrets[name]
			if sec == nil || sec.Env == "" {
				continue
			}
			if v, ok := getenv(sec.Env); ok && len(v) >= mask.MinSecretLen {
				values = append(values, jsonForms(v)...)
			}
		}
	}
	sort.Strings(values)
	m, err := mask.New(values)
	if err != nil {
		// Unreachable: every value is at least mask.MinSecretLen long.
		return &mask.Masker{}
	}
	return m
}

// SecretMaskerOf is SecretMasker for the secrets declared in any of cfgs;
// nil entries are skipped. A config that did not load completely still
// declares the secrets it got to, so partial configs are welcome.
func SecretMaskerOf(getenv func(string) (string, bool), cfgs ...*dsl.Config) *mask.Masker {
	merged := &dsl.Config{Secrets: map[string]*dsl.Secret{}}
	for i, cfg := range cfgs {
		if cfg == nil {
			continue
		}
		for name, sec := range cfg.Secrets {
			merged.Secrets[fmt.Sprintf("%d/%s", i, name)] = sec
		}
	}
	return SecretMasker(merged, getenv)
}

// jsonForms returns v and the forms encoding/json writes it in inside a
// string, with and without HTML escaping, quotes trimmed.
func jsonForms(v string) []string {
	out := []string{v}
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if err := enc.Encode(v); err != nil {
			continue
		}
		if s := strings.TrimSuffix(strings.TrimSpace(b.String()), "\""); len(s) > 1 {
			if s = s[1:]; s != v && len(s) >= mask.MinSecretLen {
				out = append(out, s)
			}
		}
	}
	return out
}

// WriteMasked calls write with a buffer, masks what it wrote with m and
// writes the result to w; nothing reaches w when write fails.
func WriteMasked(w io.Writer, m *mask.Masker, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	_, err := io.WriteString(w, m.String(b.String()))
	return err
}
