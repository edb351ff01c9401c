// Package backend opens a state store from a URL, the form the CLI takes in
// --state and PIPELINE_STATE. It imports every implementation, so the
// packages that implement stores never import one another.
package backend

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/memory"
	"github.com/pipeline-cd/pipeline/engine/state/postgres"
	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
)

// ErrBadURL is wrapped by Open when the URL is empty or has an unknown
// scheme: a usage error, not a failure of the store.
var ErrBadURL = errors.New("invalid state store URL")

// DefaultPath is the SQLite file, relative to the root of the git
// repository, used when neither --state nor PIPELINE_STATE is set.
const DefaultPath = ".pipeline/state.db"

// DefaultURL returns the URL of the default store of the repository whose
// root is repoRoot: "sqlite:" + repoRoot/.pipeline/state.db.
func DefaultURL(repoRoot string) string {
	return "sqlite:" + filepath.Join(repoRoot, filepath.FromSlash(DefaultPath))
}

// Open opens the store at rawURL:
//
//	sqlite:PATH, sqlite://PATH or a bare PATH  SQLite (the file and its directories are created)
//	postgres://... or postgresql://...          PostgreSQL
//	memory:                                     an empty in-memory store
//
// It applies pending schema migrations. An empty URL or an unknown scheme
// returns an error wrapping ErrBadURL. Errors name the URL without its
// password. A nil logger discards log output. The caller closes the store.
func Open(ctx context.Context, rawURL string, logger hclog.Logger) (state.Store, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	const fix = "use sqlite:PATH, postgres://USER:PASSWORD@HOST:PORT/DB or memory:"
	switch {
	case strings.TrimSpace(rawURL) == "":
		return nil, fmt.Errorf("%w: the URL is empty; pass --state or set PIPELINE_STATE (%s)", ErrBadURL, fix)
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return postgres.Open(ctx, rawURL, logger)
	case rawURL == "memory:" || rawURL == "memory://":
		return memory.New(), nil
	}
	path, ok := SQLitePath(rawURL)
	if !ok {
		return nil, fmt.Errorf("%w: %q has an unknown scheme; %s", ErrBadURL, postgres.Redact(rawURL), fix)
	}
	if path == "" {
		return nil, fmt.Errorf("%w: %q names no file; use sqlite:PATH, e.g. sqlite:%s", ErrBadURL, rawURL, DefaultPath)
	}
	s, err := sqlite.Open(ctx, path, logger)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// SQLitePath returns the file named by a sqlite URL or a bare path; ok is
// false for a URL with another scheme.
func SQLitePath(rawURL string) (path string, ok bool) {
	if rest, found := strings.CutPrefix(rawURL, "sqlite://"); found {
		return rest, true
	}
	if rest, found := strings.CutPrefix(rawURL, "sqlite:"); found {
		return rest, true
	}
	if strings.Contains(rawURL, "://") || strings.HasPrefix(rawURL, "memory:") {
		return "", false
	}
	return rawURL, true
}

// Explain returns what a store error in err's chain means for a user and
// what to do, or "" when err holds none that needs explaining (see
// sqlite.Explain).
func Explain(err error) string {
	return sqlite.Explain(err)
}
