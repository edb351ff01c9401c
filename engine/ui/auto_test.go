package ui

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns the terminal side of a new pseudo-terminal, sized cols
// columns wide, or skips when the system has none.
func openPTY(t *testing.T, cols uint16) *os.File {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals on this system (%v); Auto's terminal case is not tested", err)
	}
	t.Cleanup(func() { _ = master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	term, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	t.Cleanup(func() { _ = term.Close() })
	if err := unix.IoctlSetWinsize(int(term.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: cols}); err != nil {
		t.Fatalf("set pty size: %v", err)
	}
	return term
}

func TestAutoTerminal(t *testing.T) {
	term := openPTY(t, 77)
	tests := []struct {
		name  string
		ci    string
		plain bool
		live  bool
	}{
		{"terminal", "", false, true},
		{"terminal with --plain", "", true, false},
		{"terminal in CI", "true", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			s := Auto(term, tt.plain)
			l, isLive := s.(*Live)
			if isLive != tt.live {
				t.Fatalf("Auto(pty, %v) with CI=%q = %T; want live %v", tt.plain, tt.ci, s, tt.live)
			}
			if isLive && l.width != 77 {
				t.Errorf("Auto(pty) width = %d; want the terminal's 77 columns", l.width)
			}
		})
	}
}
