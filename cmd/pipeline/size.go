package main

import (
	"errors"
	"os"
	"strconv"
	"strings"
)

// logLimitDefault is --log-limit's default: $PIPELINE_LOG_LIMIT, else 64MiB.
func logLimitDefault() string {
	if v := os.Getenv("PIPELINE_LOG_LIMIT"); v != "" {
		return v
	}
	return "64MiB"
}

// sizeUnits are the suffixes parseSize accepts, longest first.
var sizeUnits = []struct {
	suffix string
	factor int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1},
}

// parseSize reads a size such as "64MiB", "512KiB", "1G" or "4096" (bytes).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	factor := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, factor = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/factor {
		return 0, errors.New("not a size; write a whole number of bytes with a unit, such as 64MiB or 512KiB, or 0 for no limit")
	}
	return n * factor, nil
}
