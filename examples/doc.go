// Package examples holds complete, runnable example projects with their
// pipelines, and the tests that keep them working:
//
//   - webapp: a Go HTTP service built, tested, packaged as a binary and a
//     Docker image, and promoted internal -> beta -> production (gated);
//   - monorepo: two components, api and worker, in one repository, each
//     its own pipeline directory, deployed on its own;
//   - ci: GitHub Actions and GitLab CI files that validate, format-check,
//     diff and run a pipeline with PostgreSQL state.
//
// The package has no API; its tests build the pipeline CLI, check that every
// example passes `pipeline validate` and `pipeline fmt -check`, and drive the
// webapp example end to end against the real Docker engine.
package examples
