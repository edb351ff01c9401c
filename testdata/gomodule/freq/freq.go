// Package freq counts words in text.
package freq

import (
	"bufio"
	"io"
	"sort"
	"strings"
	"unicode"
)

// Count is a word and how often it occurs.
type Count struct {
	Word string
	N    int
}

// Top reads r and returns the n most frequent words, lower-cased, most
// frequent first; ties are ordered alphabetically.
func Top(r io.Reader, n int) ([]Count, error) {
	counts := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Split(bufio.ScanWords)
	for sc.Scan() {
		w := strings.ToLower(strings.TrimFunc(sc.Text(), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
		if w != "" {
			counts[w]++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := make([]Count, 0, len(counts))
	for w, c := range counts {
		out = append(out, Count{w, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Word < out[j].Word
	})
	if n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out, nil
}
