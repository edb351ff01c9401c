package main

import "strings"

// nameList is a repeatable flag of comma-separated names, like
// StringSliceVar, except that a comma inside [...] does not split: a
// matrix combination such as test.unit.go-test[go=1.26,arch=amd64] is one
// name.
type nameList struct{ into *[]string }

func (n nameList) String() string { return strings.Join(*n.into, ",") }

func (n nameList) Type() string { return "strings" }

func (n nameList) Set(s string) error {
	*n.into = append(*n.into, splitNames(s)...)
	return nil
}

// splitNames splits s at commas outside brackets, dropping empty names.
func splitNames(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i <= len(s); i++ {
		switch {
		case i == len(s) || s[i] == ',' && depth == 0:
			if name := strings.TrimSpace(s[start:i]); name != "" {
				out = append(out, name)
			}
			start = i + 1
		case s[i] == '[':
			depth++
		case s[i] == ']' && depth > 0:
			depth--
		}
	}
	return out
}
