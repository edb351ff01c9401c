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
		dst, err := outputPath(workspace, f.Path)
		if err != nil {
			return err
		}
		if err := restoreFile(cas, dst, f); err != nil {
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

// outputPath resolves the relative output path rel against workspace and
// refuses one that is not inside it, also through a symlinked directory
// (a commit could make dist/ a link to /etc): the deepest existing parent
// directory, symlinks resolved, must be inside the workspace's real path.
// It is the one place that turns an output path into a host path.
func outputPath(workspace, rel string) (string, error) {
	local := filepath.FromSlash(rel)
	if !filepath.IsLocal(local) {
		return "", fmt.Errorf("output %s is not inside the workspace", rel)
	}
	root, err := filepath.EvalSymlinks(workspace)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(workspace, local)
	dir := filepath.Dir(dst)
	for {
		real, err := filepath.EvalSymlinks(dir)
		if err == nil {
			if r, rerr := filepath.Rel(root, real); rerr != nil || !filepath.IsLocal(r) && r != "." {
				return "", fmt.Errorf("output %s would be written through %s, which leads outside the workspace to %s; outputs are restored only inside the workspace", rel, dir, real)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		dir = filepath.Dir(dir)
	}
	if st, err := os.Lstat(dst); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return "", fmt.Errorf("output %s is a symlink in the workspace; outputs are restored as regular files only, remove the link", rel)
	}
	return dst, nil
}
