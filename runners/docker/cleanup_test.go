package docker

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestProcessAliveZombie: a creating process that was killed but not yet
// reaped is gone, so Cleanup removes its containers.
func TestProcessAliveZombie(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system: zombies cannot be told apart")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Wait() })
	pid := strconv.Itoa(cmd.Process.Pid)
	if !processAlive(pid) {
		t.Fatalf("processAlive(%s) = false for a running child; want true", pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%s/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %s did not become a zombie: %s", pid, b)
		}
	}
	if processAlive(pid) {
		t.Errorf("processAlive(%s) = true for a zombie; want false", pid)
	}
}
