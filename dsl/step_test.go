package dsl

import "testing"

// TestMountProblem pins what a valid mount is: the same rule the Docker
// runner applies at run time (absolute host path, absolute container path,
// optional ":ro" or ":rw").
func TestMountProblem(t *testing.T) {
	tests := []struct {
		mount string
		valid bool
	}{
		{"/srv/cache:/root/.cache", true},
		{"/srv/cache:/root/.cache:ro", true},
		{"/srv/cache:/root/.cache:rw", true},
		{"/var/run/docker.sock:/var/run/docker.sock", true},
		{"./cache:/root/.cache", false},
		{"cache:/root/.cache:ro", false},
		{"/srv/cache:root/.cache", false},
		{"/srv/cache:/root/.cache:rx", false},
		{"/srv/cache:/root/.cache:", false},
		{"/srv/cache:/root/.cache:ro:rw", false},
		{"/srv/cache", false},
		{"", false},
		{":/root/.cache", false},
	}
	for _, tt := range tests {
		t.Run(tt.mount, func(t *testing.T) {
			problem := mountProblem(tt.mount)
			if got := problem == ""; got != tt.valid {
				t.Errorf("mountProblem(%q) = %q; want valid = %v", tt.mount, problem, tt.valid)
			}
		})
	}
}
