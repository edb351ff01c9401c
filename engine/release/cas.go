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
	"strconv"
	"strings"
	"time"

	"github.com/pipeline-cd/pipeline/internal/hostid"
	"github.com/pipeline-cd/pipeline/internal/proc"
)

// ErrArtifactMissing reports an artifact path that does not exist or is not
// a regular file.
var ErrArtifactMissing = errors.New("artifact not found")

// ErrCorrupt reports a blob whose content no longer matches its address.
var ErrCorrupt = errors.New("artifact store blob is corrupt")

// CAS is a content-addressed store of files under Root: a file with SHA-256
// H lives at Root/sha256/H[:2]/H. Put writes to a temporary file in
// Root/tmp and renames it into place, so a killed process leaves at worst
// an orphan temporary file, never a partial blob. The temporary file's
// name carries its writer's host identity and PID, so that CleanTemp
// removes only files whose writer is gone. A CAS is safe for concurrent
// use by several goroutines and processes, on one host or several sharing
// the directory.
type CAS struct {
	Root string
	// HostID is the host identity of this process (internal/hostid);
	// empty: hostid.Get without a state directory.
	HostID string
}

// legacyTempAge is how old a temporary file without a writer in its name
// (made before names carried one) must be before CleanTemp removes it.
const legacyTempAge = 24 * time.Hour

// hostKey returns the short form of a host identity used in file names.
func hostKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:6])
}

func (c *CAS) hostID() string {
	if c.HostID != "" {
		return c.HostID
	}
	id, _ := hostid.Get("")
	return id
}

// tempPattern is the os.CreateTemp pattern of this process's temporary
// files: "blob-HOSTKEY-PID-RANDOM".
func (c *CAS) tempPattern() string {
	return fmt.Sprintf("blob-%s-%d-*", hostKey(c.hostID()), os.Getpid())
}

// tempWriter parses a temporary file name; ok is false for a name
// without a writer (a legacy "blob-RANDOM").
func tempWriter(name string) (host string, pid int, ok bool) {
	parts := strings.SplitN(name, "-", 4)
	if len(parts) != 4 || parts[0] != "blob" || len(parts[1]) != 12 {
		return "", 0, false
	}
	pid, err := strconv.Atoi(parts[2])
	if err != nil {
		return "", 0, false
	}
	return parts[1], pid, true
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

func (c *CAS) put(r io.Reader) (string, int64, error) {
	tmpDir := filepath.Join(c.Root, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return "", 0, fmt.Errorf("creating the artifact store: %w", err)
	}
	tmp, err := os.CreateTemp(tmpDir, c.tempPattern())
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

// CleanTemp removes temporary files whose writer is gone and returns how
// many it removed: those this host identity wrote from a process that no
// longer runs (proc.Alive), and those without a writer in their name that
// are older than a day. Files of a live writer (a run putting an artifact
// right now) and files of other host identities sharing the directory are
// never touched: their PIDs mean nothing here.
func (c *CAS) CleanTemp() (int, error) {
	dir := filepath.Join(c.Root, "tmp")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cleaning the artifact store: %w", err)
	}
	me := hostKey(c.hostID())
	n := 0
	var errs []error
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "blob-") {
			continue
		}
		host, pid, ok := tempWriter(e.Name())
		switch {
		case ok && (host != me || proc.Alive(pid)):
			continue
		case !ok:
			info, err := e.Info()
			if err != nil || time.Since(info.ModTime()) < legacyTempAge {
				continue
			}
		}
		err := os.Remove(filepath.Join(dir, e.Name()))
		switch {
		case err == nil:
			n++
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, fmt.Errorf("cleaning the artifact store: %w", err))
		}
	}
	return n, errors.Join(errs...)
}
