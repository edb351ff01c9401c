// Package keys answers questions about the keys of maps that several
// packages ask the same way.
package keys

import (
	"maps"
	"slices"
)

// Union returns the keys present in a or b, sorted and without repeats.
func Union[V any](a, b map[string]V) []string {
	all := slices.AppendSeq(slices.Collect(maps.Keys(a)), maps.Keys(b))
	slices.Sort(all)
	return slices.Compact(all)
}
