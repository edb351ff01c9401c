// Package release keeps what a release is made of: a content-addressed
// artifact store on disk, the Docker images built from a package stage's
// image blocks, and the release digest that approvals bind to.
package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrArtifactMissing reports an artifact path that does not exist or is not
// a regular file.
var ErrArtifactMissing = errors.New("artifact not found")

// ErrCorrupt reports a blob whose content no longer matches its address.
var ErrCorrupt = errors.New("artifact store blob is corrupt")

// CAS is a content-addressed store of files under Root: a file with SHA-256
// H lives at Root/sha256/H[:2]/H. Put writes to a temporary file in
// Root/tmp and renames it into place, so a killed process leaves at worst
// an orphan temporary file, never a partial blob. A CAS is safe for
// concurrent use by several goroutines and processes.
type CAS struct {
	Root string
}

// Path returns where the blob with hex digest sum lives.
func (c *CAS) Path(sum string) string {
	prefix := sum
	if len(prefix) > 2 {
		prefix = prefix[:2]
	}
	return filepath.Join(c.Root, "sha256", prefix, sum)
}

// Put copies the regular file at src into the store and returns its hex
// SHA-256 and size. Storing a file whose content is already stored is cheap
// and leaves the existing blob in place. A missing src returns an error
// wrapping ErrArtifactMissing.
func (c *CAS) Put(src string) (sum string, size int64, err error) {
	f, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0, fmt.Errorf("%w: %s does not exist; did the package stage's steps create it?", ErrArtifactMissing, src)
	}
	if err != nil {
		return "", 0, fmt.Errorf("reading artifact: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, fmt.Errorf("reading artifact: %w", err)
	}
	if !st.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%w: %s is not a regular file; an artifact path must name one file", ErrArtifactMissing, src)
	}
	return c.put(f)
}

// PutFile copies f, an open regular file, into the store as Put does. The
// caller opened it (through dsl/confine, so that it is inside the
// repository) and closes it.
func (c *CAS) PutFile(f *os.File) (sum string, size int64, err error) {
	return c.put(f)
}

func (c *CAS) put(r io.Reader) (string, int64, error) {
	tmpDir := filepath.Join(c.Root, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return "", 0, fmt.Errorf("creating the artifact store: %w", err)
	}
	tmp, err := os.CreateTemp(tmpDir, "blob-*")
	if err != nil {
		return "", 0, fmt.Errorf("creating the artifact store: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("writing artifact blob: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	dst := c.Path(sum)
	if _, err := os.Stat(dst); err == nil {
		return sum, n, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", 0, fmt.Errorf("creating the artifact store: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o444); err != nil {
		return "", 0, fmt.Errorf("writing artifact blob: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("writing artifact blob: %w", err)
	}
	return sum, n, nil
}

// Verify checks that the blob sum exists and that its content hashes to
// sum. A missing blob wraps ErrArtifactMissing, a changed one ErrCorrupt.
func (c *CAS) Verify(sum string) error {
	f, err := os.Open(c.Path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: blob sha256:%s is not in %s, the artifact store searched; "+
			"the release was built with another artifact store (another clone or CI runner): "+
			"point --artifacts or PIPELINE_ARTIFACTS at the store the release was built with (a volume every runner shares, say)",
			ErrArtifactMissing, sum, c.Root)
	}
	if err != nil {
		return fmt.Errorf("reading blob: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("reading blob: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("%w: %s hashes to %s", ErrCorrupt, c.Path(sum), got)
	}
	return nil
}

// CleanTemp removes temporary files left by killed writers and returns how
// many it removed.
func (c *CAS) CleanTemp() (int, error) {
	entries, err := os.ReadDir(filepath.Join(c.Root, "tmp"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cleaning the artifact store: %w", err)
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "blob-") {
			if err := os.Remove(filepath.Join(c.Root, "tmp", e.Name())); err == nil {
				n++
			}
		}
	}
	return n, nil
}
