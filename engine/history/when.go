package history

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads the moment a user names: RFC 3339
// ("2026-12-04T10:00:00Z"), a date and time in UTC ("2026-12-04 10:00",
// "2026-12-04T10:00"), a date (midnight UTC), "now", or a time before now
// ("2h ago", "90m ago", "3d ago", "1h30m ago").
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return now, nil
	}
	if ago, ok := strings.CutSuffix(s, " ago"); ok {
		d, err := parseDuration(strings.TrimSpace(ago))
		if err != nil {
			return time.Time{}, fmt.Errorf("%q: %w", s, err)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2026-12-04T10:00:00Z), \"2026-12-04 10:00\" (UTC), a date, \"now\" or \"2h ago\"", s)
}

// parseDuration is time.ParseDuration plus whole days ("3d", "1d12h").
func parseDuration(s string) (time.Duration, error) {
	var days time.Duration
	if i := strings.Index(s, "d"); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration such as 2h, 90m or 3d", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration such as 2h, 90m or 3d", s)
	}
	return days + d, nil
}
