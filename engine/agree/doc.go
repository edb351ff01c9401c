// Package agree holds the differential test that proves `pipeline run
// --dry-run` tells the truth: for every config in testdata/valid, every
// example in docs/language.md and a bounded set of generated configs, it
// makes a real git repository, runs a dry run and then a real run (local
// runner, SQLite state), and requires the fate of every node (ran, skipped
// and why, stopped at a gate, refused and why) and the exit code to be the
// same.
//
// The package has no API; its tests are the product.
package agree
