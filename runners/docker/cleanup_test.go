package docker

import (
	"os"
	"strconv"
	"testing"

	"github.com/pipeline-cd/pipeline/internal/proc/proctest"
)

// TestProcessAliveZombie: a creating process that was killed but not yet
// reaped is gone, so Cleanup removes its containers.
func TestProcessAliveZombie(t *testing.T) {
	if self := strconv.Itoa(os.Getpid()); !processAlive(self) {
		t.Fatalf("processAlive(%s) = false for this running process; want true", self)
	}
	pid := strconv.Itoa(proctest.Zombie(t))
	if processAlive(pid) {
		t.Errorf("processAlive(%s) = true for a zombie; want false", pid)
	}
}
