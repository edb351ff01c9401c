package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// artifactsOverride returns the artifact store directory the user chose,
// --artifacts else $PIPELINE_ARTIFACTS, as an absolute path; "" when
// neither is set (the store then lives beside the state).
func (g *globals) artifactsOverride() (string, error) {
	dir := g.artifacts
	if dir == "" {
		dir = os.Getenv("PIPELINE_ARTIFACTS")
	}
	if dir == "" {
		return "", nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", &usageError{fmt.Errorf("resolving --artifacts %s: %w", dir, err)}
	}
	return abs, nil
}

// stateDirName is the name of the directory pipeline keeps its default
// state and artifact store in.
const stateDirName = ".pipeline"

// createArtifactParent creates the .pipeline directory that holds the
// artifact store dir, with its .gitignore, when dir is in one that does not
// exist yet (PostgreSQL state keeps the default artifact store there). Any
// other directory is left for the artifact store to create.
func createArtifactParent(dir string) error {
	parent := filepath.Dir(dir)
	if filepath.Base(parent) != stateDirName {
		return nil
	}
	return createStateDir(parent)
}
