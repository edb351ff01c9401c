// Package proc answers whether a process on this host is still alive, the
// same way for every package that asks (the engine's lock takeover, the
// Docker runner's cleanup of leftover containers).
package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Alive reports whether the process pid exists on this host and has not
// exited. A pid of 0 or less is never alive. Signal 0 checks existence
// without signalling (EPERM means it exists but belongs to another user).
// On Linux a zombie (state Z or X in /proc/PID/stat: it has exited and
// only waits for its parent to reap it) is not alive: it runs no code and
// holds nothing, so its locks and containers may be taken over.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	return !exited(pid)
}

// exited reports whether /proc/PID/stat shows pid as a zombie or dead. It
// reports false when /proc cannot be read (not Linux, or no procfs): then
// the signal check alone decides.
func exited(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	st, ok := statState(b)
	return ok && (st == 'Z' || st == 'X' || st == 'x')
}

// statState returns the state field of a /proc/PID/stat line: the first
// character after the command name, which is in parentheses and may itself
// contain spaces and parentheses, so the last ")" ends it.
func statState(stat []byte) (byte, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return 0, false
	}
	return stat[i+2], true
}
