package dsl

import (
	"strings"
	"time"
)

// FormatDuration renders d the way a duration is written in config ("10m",
// "72h", "1h30m", "90s"), or zero when d is 0 (a timeout that never
// expires, a wait of no time), so plans and diffs show the config's words.
func FormatDuration(d time.Duration, zero string) string {
	if d == 0 {
		return zero
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
