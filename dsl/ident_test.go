package dsl

import (
	"testing"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestValidIdentifierMatchesHCL checks the fast path of validIdentifier
// against hclsyntax.ValidIdentifier on every string of up to three
// characters over an alphabet of ASCII and non-ASCII runes.
func TestValidIdentifierMatchesHCL(t *testing.T) {
	alphabet := []string{"a", "Z", "_", "-", "0", "9", ".", " ", "$", "é", "ß", "\u0301", "٣", "\x00"}
	var words []string
	var grow func(prefix string, n int)
	grow = func(prefix string, n int) {
		words = append(words, prefix)
		if n == 0 {
			return
		}
		for _, r := range alphabet {
			grow(prefix+r, n-1)
		}
	}
	grow("", 3)
	words = append(words, "build_1-x", "st10", "1abc", "a b", "ab\n")
	for _, w := range words {
		if got, want := validIdentifier(w), hclsyntax.ValidIdentifier(w); got != want {
			t.Errorf("validIdentifier(%q) = %v; want %v", w, got, want)
		}
	}
}
