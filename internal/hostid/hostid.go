// Package hostid names the host a pipeline process runs on, so that the
// cleanup of leftover containers touches only what this host created: a
// Docker engine may be shared by several machines (DOCKER_HOST over TCP),
// several CI runners on one daemon, or processes in several PID
// namespaces, and a PID means something only inside its own namespace.
//
// An identity is "MACHINE/PIDNS": the machine id (/etc/machine-id, else
// /var/lib/dbus/machine-id, else a random id generated once and kept in a
// file of the state directory) and the identity of the process's PID
// namespace (the target of /proc/self/ns/pid, e.g. "pid:[4026531836]").
// Two processes with the same identity see each other's PIDs.
package hostid

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileName is the file of the state directory that keeps a generated
// machine id when the system has none.
const FileName = "host-id"

// Env overrides the identity for this process: tests simulate several
// hosts with it, and an operator may pin it (two containers that share
// one PID namespace and one machine id are one host anyway).
const Env = "PIPELINE_HOST_ID"

// machineIDFiles are where systemd and D-Bus keep the machine id.
var machineIDFiles = []string{"/etc/machine-id", "/var/lib/dbus/machine-id"}

// Get returns this process's identity: $PIPELINE_HOST_ID when set, else
// MACHINE/PIDNS. When the system has no machine id, one is generated and
// stored in stateDir/host-id (created if missing); with an empty stateDir,
// or when that file cannot be written, the host name stands in for it and
// the error says why.
func Get(stateDir string) (string, error) {
	if v := strings.TrimSpace(os.Getenv(Env)); v != "" {
		return v, nil
	}
	machine, err := machineID(stateDir)
	ns, _ := os.Readlink("/proc/self/ns/pid")
	if ns == "" {
		ns = "pid:unknown"
	}
	return machine + "/" + ns, err
}

func machineID(stateDir string) (string, error) {
	for _, f := range machineIDFiles {
		if b, err := os.ReadFile(f); err == nil {
			if id := strings.TrimSpace(string(b)); id != "" {
				return id, nil
			}
		}
	}
	host, _ := os.Hostname()
	fallback := "host-" + host
	if stateDir == "" {
		return fallback, errors.New("no machine id (/etc/machine-id) and no state directory to keep a generated one; the host name stands in")
	}
	path := filepath.Join(stateDir, FileName)
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fallback, fmt.Errorf("reading the host id %s: %w; the host name stands in", path, err)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fallback, fmt.Errorf("generating a host id: %w; the host name stands in", err)
	}
	id := "gen-" + hex.EncodeToString(b[:])
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return fallback, fmt.Errorf("keeping a host id in %s: %w; the host name stands in", path, err)
	}
	// O_EXCL: when two processes generate at once, the first file wins and
	// both use it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return readGenerated(path, fallback)
	}
	if err != nil {
		return fallback, fmt.Errorf("keeping a host id in %s: %w; the host name stands in", path, err)
	}
	_, werr := f.WriteString(id + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fallback, fmt.Errorf("keeping a host id in %s: %w; the host name stands in", path, werr)
	}
	return id, nil
}

// readGenerated reads the id another process is writing to path right
// now, waiting up to a second for its content.
func readGenerated(path, fallback string) (string, error) {
	for range 100 {
		if b, err := os.ReadFile(path); err == nil {
			if id := strings.TrimSpace(string(b)); id != "" {
				return id, nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fallback, fmt.Errorf("the host id file %s stays empty; remove it; the host name stands in", path)
}
