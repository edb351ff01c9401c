package main

import (
	"reflect"
	"testing"
)

func TestSplitNames(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"test", []string{"test"}},
		{"test.unit,package", []string{"test.unit", "package"}},
		{"test.unit.go-test[go=1.26,arch=amd64]", []string{"test.unit.go-test[go=1.26,arch=amd64]"}},
		{"a[x=1,y=2],b , c[z=3]", []string{"a[x=1,y=2]", "b", "c[z=3]"}},
		{",,", nil},
	}
	for _, tt := range tests {
		if got := splitNames(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitNames(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
