package confine

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// FS returns a read-only fs.FS of the directory sub (slash separated,
// relative to the root, "." for the root itself). Its Open, ReadFile and
// Stat refuse a name whose real location leaves the root (ErrOutside) and
// open only directories and regular files (ErrNotRegular otherwise), without
// blocking on a FIFO; ReadFile reads at most MaxFileSize bytes
// (ErrTooLarge). It is the file system the loader reads a working tree's
// pipeline files and file() arguments from.
func (r *Root) FS(sub string) fs.FS {
	return &dirFS{r: r, sub: path.Clean(filepath.ToSlash(sub))}
}

type dirFS struct {
	r   *Root
	sub string
}

var (
	_ fs.ReadFileFS = (*dirFS)(nil)
	_ fs.StatFS     = (*dirFS)(nil)
)

func (d *dirFS) full(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	rel := path.Join(d.sub, name)
	if _, err := d.r.lexical(rel); err != nil {
		return "", &fs.PathError{Op: op, Path: name, Err: ErrOutside}
	}
	if _, err := d.r.resolve(rel); err != nil {
		return "", &fs.PathError{Op: op, Path: name, Err: ErrOutside}
	}
	return rel, nil
}

// Open implements fs.FS.
func (d *dirFS) Open(name string) (fs.File, error) {
	rel, err := d.full("open", name)
	if err != nil {
		return nil, err
	}
	f, err := d.r.root.OpenFile(filepath.FromSlash(rel), os.O_RDONLY|nonblock, 0)
	if rel == "." {
		f, err = os.OpenFile(d.r.dir, os.O_RDONLY, 0)
	}
	if err != nil {
		return nil, withName(d.r.openError(name, err), name)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if !st.IsDir() && !st.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(name, st.Mode())
	}
	return f, nil
}

// ReadFile implements fs.ReadFileFS.
func (d *dirFS) ReadFile(name string) ([]byte, error) {
	f, err := d.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if st.IsDir() {
		return nil, notRegular(name, st.Mode())
	}
	return readLimited(f, name, MaxFileSize)
}

// Stat implements fs.StatFS; it follows symbolic links inside the root.
func (d *dirFS) Stat(name string) (fs.FileInfo, error) {
	rel, err := d.full("stat", name)
	if err != nil {
		return nil, err
	}
	if rel == "." {
		return os.Stat(d.r.dir)
	}
	st, err := d.r.root.Stat(filepath.FromSlash(rel))
	if err != nil {
		return nil, withName(d.r.openError(name, err), name)
	}
	return st, nil
}

func withName(err error, name string) error {
	if pe, ok := err.(*fs.PathError); ok {
		pe.Path = name
	}
	return err
}
