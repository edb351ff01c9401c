package keys

import (
	"slices"
	"testing"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestUnion(t *testing.T) {
	tests := []struct {
		name string
		a, b map[string]int
		want []string
	}{
		{"both empty", nil, map[string]int{}, []string{}},
		{"only a", map[string]int{"b": 1, "a": 2}, nil, []string{"a", "b"}},
		{"overlap", map[string]int{"c": 1, "a": 1}, map[string]int{"b": 1, "c": 2}, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Union(tt.a, tt.b); !slices.Equal(got, tt.want) {
				t.Errorf("Union(%v, %v) = %q; want %q", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
