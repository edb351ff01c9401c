// Command genconfig writes a large generated pipeline config for `make bench`:
//
//	go run ./scripts/genconfig -steps 5000 -stages 500 -o DIR
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pipeline-cd/pipeline/internal/benchgen"
)

func main() {
	steps := flag.Int("steps", 5000, "number of steps")
	stages := flag.Int("stages", 500, "number of stages")
	out := flag.String("o", ".", "directory to write pipeline.hcl into")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "genconfig:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(*out, "pipeline.hcl"), benchgen.Config(*steps, *stages), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genconfig:", err)
		os.Exit(1)
	}
}
