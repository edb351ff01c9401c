package ui

import (
	"os"

	"github.com/mattn/go-isatty"
	"golang.org/x/sys/unix"
)

// Auto picks the sink for f: the live view when f is a terminal, the CI
// environment variable is unset or empty, and plain is false; the plain
// log otherwise.
func Auto(f *os.File, plain bool) Sink {
	if plain || os.Getenv("CI") != "" || !isatty.IsTerminal(f.Fd()) {
		return NewPlain(f)
	}
	width := defaultWidth
	if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
		width = int(ws.Col)
	}
	return NewLiveWidth(f, width)
}
