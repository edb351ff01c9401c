package main

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"64MiB", 64 << 20, true},
		{"512KiB", 512 << 10, true},
		{"1G", 1 << 30, true},
		{"2MB", 2e6, true},
		{"4096", 4096, true},
		{"0", 0, true},
		{"-1", 0, false},
		{"lots", 0, false},
		{"1.5MiB", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
