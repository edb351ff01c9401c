package proc

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	// Registers -update, so `go test ./... -update` runs here too.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
)

func TestStatState(t *testing.T) {
	tests := []struct {
		stat   string
		want   byte
		wantOK bool
	}{
		{"1234 (sleep) S 1 1234 1234 0 -1", 'S', true},
		{"1234 (a) b) Z 1 1234", 'Z', true},
		{"1234 (with space) R 1", 'R', true},
		{"1234 (x)", 0, false},
		{"garbage", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.stat, func(t *testing.T) {
			got, ok := statState([]byte(tt.stat))
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("statState(%q) = %q, %v; want %q, %v", tt.stat, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestAlive(t *testing.T) {
	tests := []struct {
		name string
		pid  int
		want bool
	}{
		{"this process", os.Getpid(), true},
		{"zero", 0, false},
		{"negative", -5, false},
		{"no such pid", 2147483646, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Alive(tt.pid); got != tt.want {
				t.Errorf("Alive(%d) = %v; want %v", tt.pid, got, tt.want)
			}
		})
	}
}

// TestAliveZombie kills a child without reaping it: it stays a zombie,
// which signal 0 still finds, yet it is gone.
func TestAliveZombie(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system: zombies cannot be told apart")
	}
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sleep: %v", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = cmd.Wait() })
	if !Alive(pid) {
		t.Fatalf("Alive(%d) = false for a running child; want true", pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("killing the child: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatalf("reading the child's stat: %v", err)
		}
		if st, _ := statState(b); st == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d did not become a zombie: %s", pid, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if Alive(pid) {
		t.Errorf("Alive(%d) = true for a zombie; want false", pid)
	}
}
