package proc

import (
	"os"
	"testing"

	// Registers -update, so `go test ./... -update` runs here too.
	_ "github.com/pipeline-cd/pipeline/internal/golden"
	"github.com/pipeline-cd/pipeline/internal/proc/proctest"
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
	if !Alive(os.Getpid()) {
		t.Fatalf("Alive(%d) = false for this running process; want true", os.Getpid())
	}
	pid := proctest.Zombie(t)
	if Alive(pid) {
		t.Errorf("Alive(%d) = true for a zombie; want false", pid)
	}
}
