package hostid

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	// Registers the -update flag: go test ./... -update passes it to every
	// test binary, and this package has no golden files to rewrite.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestGetGeneratesAndKeepsAnID(t *testing.T) {
	t.Setenv(Env, "")
	old := machineIDFiles
	machineIDFiles = []string{filepath.Join(t.TempDir(), "no-machine-id")}
	t.Cleanup(func() { machineIDFiles = old })
	dir := filepath.Join(t.TempDir(), ".pipeline")

	first, err := Get(dir)
	if err != nil {
		t.Fatalf("Get(%s) = %q, %v", dir, first, err)
	}
	second, err := Get(dir)
	if err != nil || second != first {
		t.Errorf("second Get(%s) = %q, %v; want %q again", dir, second, err, first)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil || !strings.HasPrefix(first, strings.TrimSpace(string(b))+"/") {
		t.Errorf("%s holds %q (%v); want the machine part of %q", FileName, b, err, first)
	}
	other, err := Get(t.TempDir())
	if err != nil || other == first {
		t.Errorf("Get(another state dir) = %q, %v; want a different generated id than %q", other, err, first)
	}
	if _, err := Get(""); err == nil {
		t.Errorf("Get(\"\") without a machine id = nil error; want one saying the host name stands in")
	}
}

func TestGetMachineAndNamespace(t *testing.T) {
	t.Setenv(Env, "")
	id, err := Get(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns, _ := os.Readlink("/proc/self/ns/pid")
	if ns != "" && !strings.HasSuffix(id, "/"+ns) {
		t.Errorf("Get = %q; want it to end in this process's PID namespace %q", id, ns)
	}
	if b, err := os.ReadFile("/etc/machine-id"); err == nil && !strings.HasPrefix(id, strings.TrimSpace(string(b))+"/") {
		t.Errorf("Get = %q; want it to start with /etc/machine-id %q", id, b)
	}
}

func TestGetEnvOverride(t *testing.T) {
	t.Setenv(Env, "simulated-host-a")
	if id, err := Get(""); id != "simulated-host-a" || err != nil {
		t.Errorf("Get with %s set = %q, %v; want the variable's value", Env, id, err)
	}
}
