// Package mask hides secret values in text: in logs, in step output and in
// anything written to the state store. Every occurrence of a secret, each
// line of a multi-line secret and the base64 forms of a secret are replaced
// by Replacement, and so are the derived forms New lists (base64 at every
// alignment, hex, URL and JSON escapes, lower and upper case).
package mask

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Replacement is what every secret occurrence is replaced with.
const Replacement = "***"

// MinSecretLen is the length of the shortest secret New accepts. Shorter
// values would mask ordinary words and numbers all over the output.
const MinSecretLen = 4

// base64LineLen is the width at which base64(1) wraps its output.
const base64LineLen = 76

// minWrappedLen is the shortest last line of a wrapped base64 encoding that
// is masked on its own; shorter tails such as "Cg==" are too common.
const minWrappedLen = 8

// minCoreLen is the shortest base64 fragment of a secret embedded in a
// longer encoded string that is masked: shorter fragments would match
// ordinary words.
const minCoreLen = 6

// ErrSecretTooShort reports a secret value shorter than MinSecretLen.
var ErrSecretTooShort = errors.New("secret value is shorter than 4 characters")

// Masker replaces secret values in strings. A Masker is immutable after New
// and safe for concurrent use. The zero Masker and a nil *Masker mask nothing.
type Masker struct {
	replacer *strings.Replacer
	patterns []string
}

// New returns a Masker for secrets. It refuses a secret shorter than
// MinSecretLen with an error wrapping ErrSecretTooShort that names the
// secret's position in the list but never its value. Empty lists are fine.
//
// Besides each value, the Masker hides:
//   - each line of a multi-line value that is at least MinSecretLen long
//     (shorter lines are left alone: masking "a" everywhere would hide
//     nothing and garble everything);
//   - the standard and URL base64 encodings, padded and unpadded, of the
//     value and of the value followed by a newline (what `echo $S | base64`
//     prints), and each 76-character line of those encodings when they are
//     long enough for base64(1) to wrap them (a last line shorter than 8
//     characters is left alone);
//   - the characters of the standard and URL base64 encodings that depend
//     on the secret alone, at each of the three byte alignments it can take
//     inside a longer encoded text, so that base64("user:" + secret), a
//     Basic-auth header, shows "dXNlcjp***" (fragments shorter than 6
//     characters, from secrets of 4 or 5 bytes, are left alone);
//   - its lower- and upper-case hex encodings, its URL query and path
//     escapes, its JSON string escapes (with and without HTML escaping, so
//     stored JSON documents are masked too), and the value in lower and in
//     upper case (what lower() and upper() make of it).
func New(secrets []string) (*Masker, error) {
	return NewSets(Set{Values: secrets})
}

// SensitiveReplacement is what the value of a variable declared
// sensitive is replaced with.
const SensitiveReplacement = "(sensitive)"

// Set is a list of values masked with one replacement text.
type Set struct {
	Values []string
	// Replacement replaces each form of each value; "" means Replacement.
	Replacement string
}

// NewSets is New for several sets of values, each with its replacement
// (secrets show "***", sensitive variables "(sensitive)"). A form shared
// by values of two sets takes the replacement of the first set.
func NewSets(sets ...Set) (*Masker, error) {
	repl := make(map[string]string)
	for _, set := range sets {
		r := set.Replacement
		if r == "" {
			r = Replacement
		}
		for i, s := range set.Values {
			if len(s) < MinSecretLen {
				return nil, fmt.Errorf("secret #%d (%d characters): %w; use a value of at least %d characters",
					i+1, len(s), ErrSecretTooShort, MinSecretLen)
			}
			for _, p := range variants(s) {
				if _, seen := repl[p]; !seen && len(p) >= MinSecretLen {
					repl[p] = r
				}
			}
		}
	}
	m := &Masker{}
	if len(repl) == 0 {
		return m, nil
	}
	m.patterns = make([]string, 0, len(repl))
	for p := range repl {
		m.patterns = append(m.patterns, p)
	}
	// strings.Replacer tries the old strings in argument order at each
	// position, so longest first makes the widest match win.
	sort.Slice(m.patterns, func(i, j int) bool {
		if len(m.patterns[i]) != len(m.patterns[j]) {
			return len(m.patterns[i]) > len(m.patterns[j])
		}
		return m.patterns[i] < m.patterns[j]
	})
	pairs := make([]string, 0, 2*len(m.patterns))
	for _, p := range m.patterns {
		pairs = append(pairs, p, repl[p])
	}
	m.replacer = strings.NewReplacer(pairs...)
	return m, nil
}

// variants returns every form of secret s that New masks.
func variants(s string) []string {
	out := []string{s}
	if strings.ContainsAny(s, "\r\n") {
		for _, line := range strings.Split(s, "\n") {
			out = append(out, strings.TrimSuffix(line, "\r"))
		}
	}
	encodings := []*base64.Encoding{
		base64.StdEncoding, base64.URLEncoding,
		base64.RawStdEncoding, base64.RawURLEncoding,
	}
	out = append(out, derived(s)...)
	for _, raw := range []string{s, s + "\n"} {
		for _, enc := range encodings {
			e := enc.EncodeToString([]byte(raw))
			out = append(out, e)
			if len(e) <= base64LineLen {
				continue
			}
			for i := 0; i < len(e); i += base64LineLen {
				if line := e[i:min(i+base64LineLen, len(e))]; len(line) >= minWrappedLen {
					out = append(out, line)
				}
			}
		}
	}
	// Text stored in JSON (the plan, the run's options) holds every form
	// JSON-escaped: the lower-case form of "Key<7>" is "key\u003c7\u003e".
	for _, f := range out[:len(out):len(out)] {
		out = append(out, jsonForms(f)...)
	}
	return out
}

// derived returns the alignment fragments of the base64 encodings of s
// and its hex, URL, JSON and case forms.
func derived(s string) []string {
	var out []string
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		for off := 0; off < 3; off++ {
			if core := base64Core(enc, s, off); len(core) >= minCoreLen {
				out = append(out, core)
			}
		}
	}
	h := hex.EncodeToString([]byte(s))
	return append(out, h, strings.ToUpper(h), url.QueryEscape(s), url.PathEscape(s), strings.ToLower(s), strings.ToUpper(s))
}

// base64Core returns the characters of the encoding of s preceded by off
// bytes that depend on the bytes of s alone: character p of an encoding
// covers bits [6p, 6p+6) of its input, s covers [8*off, 8*(off+len(s))).
func base64Core(enc *base64.Encoding, s string, off int) string {
	full := enc.EncodeToString(append(make([]byte, off), s...))
	start, end := (8*off+5)/6, min(8*(off+len(s))/6, len(full))
	if start >= end {
		return ""
	}
	return full[start:end]
}

// jsonForms returns the forms encoding/json writes s in inside a string,
// with and without HTML escaping, quotes trimmed.
func jsonForms(s string) []string {
	var out []string
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if err := enc.Encode(s); err != nil {
			continue
		}
		if q := strings.TrimSuffix(strings.TrimSpace(b.String()), "\""); len(q) > 1 {
			out = append(out, q[1:])
		}
	}
	return out
}

// String returns s with every secret form replaced by Replacement.
func (m *Masker) String(s string) string {
	if m == nil || m.replacer == nil {
		return s
	}
	return m.replacer.Replace(s)
}

// Empty reports whether m masks nothing.
func (m *Masker) Empty() bool {
	return m == nil || m.replacer == nil
}
