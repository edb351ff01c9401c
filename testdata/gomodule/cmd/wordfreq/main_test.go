package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMainOutput runs the command built by go test itself.
func TestMainOutput(t *testing.T) {
	if os.Getenv("WORDFREQ_CHILD") == "1" {
		os.Args = []string{"wordfreq", "-n", "2"}
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainOutput$")
	cmd.Env = append(os.Environ(), "WORDFREQ_CHILD=1")
	cmd.Stdin = strings.NewReader("go go go pipeline pipeline run")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out), "      3 go\n      2 pipeline\n"; !strings.HasPrefix(got, want) {
		t.Errorf("wordfreq -n 2 printed %q; want it to start %q", got, want)
	}
}
