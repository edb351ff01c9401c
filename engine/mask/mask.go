// Package mask hides secret values in text: in logs, in step output and in
// anything written to the state store. Every occurrence of a secret, each
// line of a multi-line secret and the base64 forms of a secret are replaced
// by Replacement.
package mask

import (
	"encoding/base64"
	"errors"
	"fmt"
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
//     characters is left alone).
func New(secrets []string) (*Masker, error) {
	set := make(map[string]struct{})
	for i, s := range secrets {
		if len(s) < MinSecretLen {
			return nil, fmt.Errorf("secret #%d (%d characters): %w; use a value of at least %d characters",
				i+1, len(s), ErrSecretTooShort, MinSecretLen)
		}
		for _, p := range variants(s) {
			if len(p) >= MinSecretLen {
				set[p] = struct{}{}
			}
		}
	}
	m := &Masker{}
	if len(set) == 0 {
		return m, nil
	}
	m.patterns = make([]string, 0, len(set))
	for p := range set {
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
		pairs = append(pairs, p, Replacement)
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
