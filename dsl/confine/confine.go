// Package confine keeps the files a config names inside the repository.
//
// A config comes from a branch and is untrusted: a committed symbolic link
// may point at /etc/shadow or /proc/self/environ, and a pipeline file may be
// a FIFO or /dev/zero. A Root resolves every path it is given, symbolic
// links included, refuses one whose real location leaves the root (the
// repository, or the pipeline directory outside git) with ErrOutside, and
// opens only regular files (ErrNotRegular otherwise), without ever blocking
// on a FIFO or reading a device. Files are opened through os.Root, so a
// link swapped between the check and the open cannot lead outside either.
//
// Errors never carry the contents of a file, and name the target of an
// escaping link only as "outside the repository".
package confine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// MaxConfigSize is the largest pipeline file the loader reads: 4 MiB.
const MaxConfigSize = 4 << 20

// MaxFileSize is the largest file file() reads: 4 MiB.
const MaxFileSize = 4 << 20

var (
	// ErrOutside reports a path whose real location, symbolic links
	// resolved, is outside the root.
	ErrOutside = errors.New("the path leads outside the repository (symbolic links resolved); only files inside it can be used")
	// ErrNotRegular reports a file that is a FIFO, a device, a socket or a
	// directory where a regular file was expected.
	ErrNotRegular = errors.New("not a regular file")
	// ErrNotDir reports a path that must be a directory and is not.
	ErrNotDir = errors.New("not a directory")
	// ErrTooLarge reports a file larger than the limit it was read with.
	ErrTooLarge = errors.New("file too large")
)

// maxHops bounds symbolic-link resolution, as the kernel's ELOOP does.
const maxHops = 40

// Root is a directory that paths must stay inside. It is safe for
// concurrent use.
type Root struct {
	dir  string // absolute, symbolic links resolved
	root *os.Root
}

// Open returns a Root for dir, resolving its own symbolic links (the
// operator chose dir; only what is below it is untrusted). Close it when
// done.
func Open(dir string) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	return &Root{dir: abs, root: r}, nil
}

// Dir returns the root's absolute, resolved path.
func (r *Root) Dir() string { return r.dir }

// Close releases the root's directory handle.
func (r *Root) Close() error { return r.root.Close() }

// Rel returns name (absolute, or relative to the root) as a clean
// slash path relative to the root, resolving the symbolic links of every
// component. The result names a file inside the root or one that does not
// exist yet; an error wraps ErrOutside when the path or a link on the way
// leaves the root.
func (r *Root) Rel(name string) (string, error) {
	rel, err := r.lexical(name)
	if err != nil {
		return "", err
	}
	return r.resolve(rel)
}

// lexical returns name relative to the root without resolving links.
func (r *Root) lexical(name string) (string, error) {
	if filepath.IsAbs(name) {
		p, err := filepath.Rel(r.dir, filepath.Clean(name))
		if err != nil || !filepath.IsLocal(p) && p != "." {
			// An absolute path through a link to the root (/tmp -> /private/tmp)
			// still counts when it resolves inside.
			if real, rerr := filepath.EvalSymlinks(name); rerr == nil {
				if p, err = filepath.Rel(r.dir, real); err == nil && (p == "." || filepath.IsLocal(p)) {
					return filepath.ToSlash(p), nil
				}
			}
			return "", &fs.PathError{Op: "open", Path: name, Err: ErrOutside}
		}
		name = p
	}
	clean := path.Clean(filepath.ToSlash(name))
	if clean != "." && !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", &fs.PathError{Op: "open", Path: name, Err: ErrOutside}
	}
	return clean, nil
}

// resolve follows the symbolic links of rel (clean, relative, slash
// separated) and returns the resolved path relative to the root.
func (r *Root) resolve(rel string) (string, error) {
	if rel == "." {
		return ".", nil
	}
	rest := strings.Split(rel, "/")
	cur := "."
	for hops := 0; len(rest) > 0; {
		p := path.Join(cur, rest[0])
		info, err := os.Lstat(filepath.Join(r.dir, filepath.FromSlash(p)))
		if err != nil {
			// Missing from here on: what follows cannot be a link.
			return path.Join(append([]string{p}, rest[1:]...)...), nil
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			cur, rest = p, rest[1:]
			continue
		}
		if hops++; hops > maxHops {
			return "", &fs.PathError{Op: "open", Path: rel, Err: errors.New("too many levels of symbolic links")}
		}
		target, err := os.Readlink(filepath.Join(r.dir, filepath.FromSlash(p)))
		if err != nil {
			return "", &fs.PathError{Op: "open", Path: rel, Err: err}
		}
		var next string
		if filepath.IsAbs(target) {
			t, err := filepath.Rel(r.dir, filepath.Clean(target))
			if err != nil || (t != "." && !filepath.IsLocal(t)) {
				return "", &fs.PathError{Op: "open", Path: rel, Err: ErrOutside}
			}
			next = filepath.ToSlash(t)
		} else {
			next = path.Join(cur, filepath.ToSlash(target))
			if next == ".." || strings.HasPrefix(next, "../") {
				return "", &fs.PathError{Op: "open", Path: rel, Err: ErrOutside}
			}
		}
		cur, rest = ".", append(strings.Split(next, "/"), rest[1:]...)
		if next == "." {
			rest = rest[1:]
		}
	}
	return cur, nil
}

// OpenFile opens name (absolute, or relative to the root) for reading when
// it resolves to a regular file inside the root. It never blocks on a FIFO.
func (r *Root) OpenFile(name string) (*os.File, error) {
	rel, err := r.lexical(name)
	if err != nil {
		return nil, err
	}
	if _, err := r.resolve(rel); err != nil {
		return nil, err
	}
	return r.openRegular(name, rel)
}

func (r *Root) openRegular(name, rel string) (*os.File, error) {
	f, err := r.root.OpenFile(filepath.FromSlash(rel), os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, r.openError(name, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, notRegular(name, st.Mode())
	}
	return f, nil
}

// openError turns an os.Root error into one that wraps ErrOutside when the
// root refused the path for leaving it (a link changed since resolve).
func (r *Root) openError(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return &fs.PathError{Op: "open", Path: name, Err: errors.Unwrap(err)}
	}
	// os.Root's escape error is not exported; every other failure of a
	// path that resolved inside the root is one a moved link caused.
	return &fs.PathError{Op: "open", Path: name, Err: ErrOutside}
}

// ReadFile reads the regular file name, at most limit bytes; a larger file
// is an error wrapping ErrTooLarge.
func (r *Root) ReadFile(name string, limit int64) ([]byte, error) {
	f, err := r.OpenFile(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, name, limit)
}

func readLimited(f io.Reader, name string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if int64(len(b)) > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w: larger than %s", ErrTooLarge, Size(limit))}
	}
	return b, nil
}

// DirPath checks that name (absolute, or relative to the root) resolves to a
// directory inside the root and returns its resolved absolute path.
func (r *Root) DirPath(name string) (string, error) {
	rel, err := r.Rel(name)
	if err != nil {
		return "", err
	}
	st, err := r.root.Stat(filepath.FromSlash(rel))
	if rel == "." {
		st, err = os.Stat(r.dir)
	}
	if err != nil {
		return "", r.openError(name, err)
	}
	if !st.IsDir() {
		return "", &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (%s)", ErrNotDir, Kind(st.Mode()))}
	}
	return filepath.Join(r.dir, filepath.FromSlash(rel)), nil
}

// FilePath checks that name (absolute, or relative to the root) resolves
// to a regular file inside the root and returns its resolved absolute
// path.
func (r *Root) FilePath(name string) (string, error) {
	f, err := r.OpenFile(name)
	if err != nil {
		return "", err
	}
	f.Close()
	rel, err := r.Rel(name)
	if err != nil {
		return "", err
	}
	return filepath.Join(r.dir, filepath.FromSlash(rel)), nil
}

func notRegular(name string, m fs.FileMode) error {
	return &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w (%s)", ErrNotRegular, Kind(m))}
}

// nonblock opens a FIFO without waiting for a writer; regular files and
// directories ignore it.
const nonblock = syscall.O_NONBLOCK

// Kind names a file mode for messages: "a directory", "a FIFO", "a
// symbolic link", ...
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	default:
		return "not a regular file"
	}
}

// Size renders a byte count for messages: "4 MiB".
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
