package dsl

import (
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "none"},
		{90 * time.Second, "1m30s"},
		{10 * time.Minute, "10m"},
		{72 * time.Hour, "72h"},
		{90 * time.Minute, "1h30m"},
		{30 * time.Second, "30s"},
		{time.Hour + time.Second, "1h0m1s"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.in, "none"); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
