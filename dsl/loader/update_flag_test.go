package loader

// Registers the -update flag: go test ./... -update passes it to every
// test binary, and this package has no golden files to rewrite.
import _ "github.com/pipeline-cd/pipeline/internal/golden"
