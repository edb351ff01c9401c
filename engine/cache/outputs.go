package cache

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pipeline-cd/pipeline/engine/release"
)

// File is one output file of a step, kept in the content-addressed store.
type File struct {
	Path   string      `json:"path"` // relative to the workspace, slash-separated
	SHA256 string      `json:"sha256"`
	Size   int64       `json:"size"`
	Mode   fs.FileMode `json:"mode"` // permission bits
}

// saveOutputs stores the files of workspace matched by patterns in cas.
func saveOutputs(cas *release.CAS, workspace string, patterns []string) ([]File, error) {
	paths, err := Match(workspace, patterns)
	if err != nil {
		return nil, err
	}
	files := make([]File, 0, len(paths))
	for _, p := range paths {
		src := filepath.Join(workspace, filepath.FromSlash(p))
		st, err := os.Lstat(src)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", p, err)
		}
		if !st.Mode().IsRegular() {
			continue // symlinks and devices are not kept
		}
		sum, size, err := cas.Put(src)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", p, err)
		}
		files = append(files, File{Path: p, SHA256: sum, Size: size, Mode: st.Mode().Perm()})
	}
	return files, nil
}

// haveBlobs reports whether every file's blob is in cas.
func haveBlobs(cas *release.CAS, files []File) bool {
	for _, f := range files {
		if _, err := os.Stat(cas.Path(f.SHA256)); err != nil {
			return false
		}
	}
	return true
}

// restoreOutputs writes files into workspace from cas, each through a
// temporary file renamed into place, with its recorded permission bits.
func restoreOutputs(cas *release.CAS, workspace string, files []File) error {
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
			return fmt.Errorf("output %s is not inside the workspace", f.Path)
		}
		if err := restoreFile(cas, filepath.Join(workspace, filepath.FromSlash(f.Path)), f); err != nil {
			return fmt.Errorf("restoring output %s: %w", f.Path, err)
		}
	}
	return nil
}

func restoreFile(cas *release.CAS, dst string, f File) error {
	src, err := os.Open(cas.Path(f.SHA256))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: blob sha256:%s is not in %s", release.ErrArtifactMissing, f.SHA256, cas.Root)
		}
		return err
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".pipeline-restore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(f.Mode.Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
