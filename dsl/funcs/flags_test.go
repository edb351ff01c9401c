package funcs

import "flag"

// update is accepted so that `go test ./... -update`, which regenerates the
// golden files of other packages, also runs this package's tests. This
// package has no golden files, so the flag changes nothing here.
var _ = flag.Bool("update", false, "accepted for go test ./... -update; this package has no golden files")
