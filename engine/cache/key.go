package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// keyVersion changes whenever what goes into a key changes, so that old
// entries stop matching instead of matching wrongly.
const keyVersion = "pipeline-step-key-v1"

// KeyInput is everything that decides whether a step would do the same
// work again. Secret values are never part of it: only their names.
type KeyInput struct {
	Pipeline string
	// Image is the image ID ("sha256:...") the step runs in, or "host" for
	// a step on the host.
	Image   string
	Argv    []string
	Workdir string
	User    string
	// Env is the step's environment without secrets.
	Env     map[string]string
	Secrets []string // names of the secrets the step receives
	Inputs  []string // globs relative to the workspace
	Outputs []string
	// Needs holds one entry per step the step needs directly: its ID and
	// key ("" for a step that is not reusable and always runs).
	Needs map[string]string
}

// Hasher computes step keys over a workspace. It remembers the digest of
// each file by path, size, modification time and inode, so that the files
// many steps share are read once per process. It is safe for concurrent
// use.
type Hasher struct {
	files sync.Map // fileID -> hex digest
}

type fileID struct {
	path  string
	size  int64
	mtime time.Time
	ino   uint64
}

// Key returns "sha256:..." over in and the content of the files of
// workspace that in.Inputs match, and the list of those files (relative,
// slash-separated, sorted). The directories .git and .pipeline are never
// inputs.
func (h *Hasher) Key(workspace string, in KeyInput) (string, []string, error) {
	files, err := Match(workspace, in.Inputs)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.New()
	head, err := json.Marshal(struct {
		V string
		KeyInput
	}{keyVersion, in})
	if err != nil {
		return "", nil, err
	}
	sum.Write(head)
	sum.Write([]byte{0})
	for _, f := range files {
		d, mode, err := h.digest(filepath.Join(workspace, filepath.FromSlash(f)))
		if err != nil {
			return "", nil, fmt.Errorf("input %s: %w", f, err)
		}
		fmt.Fprintf(sum, "%s\x00%s\x00%o\x00", f, d, mode)
	}
	return "sha256:" + hex.EncodeToString(sum.Sum(nil)), files, nil
}

// digest returns the hex SHA-256 of a regular file's content, or of a
// symlink's target text, and the file's permission bits.
func (h *Hasher) digest(p string) (string, fs.FileMode, error) {
	st, err := os.Lstat(p)
	if err != nil {
		return "", 0, err
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(p)
		if err != nil {
			return "", 0, err
		}
		s := sha256.Sum256([]byte("symlink\x00" + target))
		return hex.EncodeToString(s[:]), fs.ModeSymlink, nil
	}
	id := fileID{path: p, size: st.Size(), mtime: st.ModTime(), ino: inode(st)}
	if d, ok := h.files.Load(id); ok {
		return d.(string), st.Mode().Perm(), nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	s := sha256.New()
	if _, err := io.Copy(s, f); err != nil {
		return "", 0, err
	}
	d := hex.EncodeToString(s.Sum(nil))
	h.files.Store(id, d)
	return d, st.Mode().Perm(), nil
}

// skipDirs are never walked for inputs and outputs.
var skipDirs = map[string]bool{".git": true, ".pipeline": true}

// Match returns the files (not directories) below dir that match any of
// patterns, relative and slash-separated, sorted, each once. A pattern
// without wildcards is looked up directly; the others share one walk of
// dir that skips .git and .pipeline. Patterns use doublestar syntax: "*"
// within a path element, "**" across elements, "{a,b}" alternatives.
func Match(dir string, patterns []string) ([]string, error) {
	seen := map[string]bool{}
	var globs []string
	for _, p := range patterns {
		if !hasMeta(p) {
			rel := filepath.ToSlash(filepath.Clean(p))
			if _, err := outputPath(dir, rel); err != nil {
				continue // through a link that leaves the workspace: never read
			}
			st, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
			switch {
			case errors.Is(err, fs.ErrNotExist):
			case err != nil:
				return nil, err
			case st.IsDir():
				globs = append(globs, rel+"/**")
			default:
				seen[rel] = true
			}
			continue
		}
		globs = append(globs, p)
	}
	if len(globs) > 0 {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != dir && skipDirs[d.Name()] {
					return filepath.SkipDir
				}
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			for _, g := range globs {
				if ok, _ := doublestar.Match(g, rel); ok {
					seen[rel] = true
					break
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("matching files in %s: %w", dir, err)
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[{\`) }
