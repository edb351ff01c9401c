package gitsrc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pipeline-cd/pipeline/dsl"
)

// eagerBlobLimit is the largest sibling file that is read together with a
// requested file. A directory's files are fetched with one git process the
// first time any of them is read; files larger than this are fetched only
// when they themselves are read, so a large binary next to pipeline.hcl costs
// nothing.
const eagerBlobLimit = 1 << 20

// maxSymlinkHops bounds symbolic-link resolution, as the kernel's ELOOP does.
const maxSymlinkHops = 40

// RefFS returns a read-only fs.FS of the files under subdir (a slash- or
// OS-separated path relative to the repository root, "." for the root) as they
// are in the commit ref resolves to, and that commit's full hash.
//
// The working tree and the index are never read. Listing the tree costs two
// git processes; file contents are fetched lazily, one git process per
// directory whose files are read. The returned FS is safe for concurrent use
// and implements fs.ReadDirFS, fs.ReadFileFS and fs.StatFS. Symbolic links
// inside the tree are followed when they stay inside it; submodules are left
// out.
//
// An unknown ref gives an error wrapping ErrUnknownRef that names the ref and
// says how to fetch it; a subdir that is not a directory at ref gives an error
// wrapping fs.ErrNotExist.
func RefFS(root, ref, subdir string) (fs.FS, string, error) {
	sub, err := cleanSubdir(subdir)
	if err != nil {
		return nil, "", err
	}
	commit, err := resolve(root, ref)
	if err != nil {
		return nil, "", err
	}
	treeish := commit
	if sub != "." {
		treeish = commit + ":" + sub
	}
	out, err := git(root, nil, "ls-tree", "-r", "-t", "-l", "-z", treeish)
	if err != nil {
		if exitCode(err) > 0 {
			return nil, "", fmt.Errorf("%w: no directory %q at %s (commit %.12s): %w", fs.ErrNotExist, sub, ref, commit, err)
		}
		return nil, "", fmt.Errorf("listing %s at %s: %w", sub, ref, err)
	}
	t := &treeFS{root: root, entries: map[string]*entry{".": {name: ".", mode: fs.ModeDir | 0o555}}}
	if err := t.parseTree(out); err != nil {
		return nil, "", fmt.Errorf("listing %s at %s: %w", sub, ref, err)
	}
	return t, commit, nil
}

// cleanSubdir returns subdir as a clean slash path inside the repository.
func cleanSubdir(subdir string) (string, error) {
	if subdir == "" {
		return ".", nil
	}
	s := path.Clean(filepath.ToSlash(subdir))
	if path.IsAbs(s) || s == ".." || strings.HasPrefix(s, "../") {
		return "", fmt.Errorf("directory %q must be relative to the repository root and inside it", subdir)
	}
	return s, nil
}

// treeFS is a git tree held in memory: the listing is read when the FS is
// made, the blobs on first use.
type treeFS struct {
	root string // repository root, for fetching blobs

	mu      sync.Mutex
	entries map[string]*entry // by slash path relative to the tree; "." is the tree itself
}

// entry is one tree entry: a directory, a regular file or a symbolic link.
type entry struct {
	name     string      // base name
	mode     fs.FileMode // fs.ModeDir, fs.ModeSymlink or a regular file's permissions
	oid      string      // blob hash; empty for directories
	size     int64
	data     []byte
	loaded   bool
	children []string // directories only: base names, sorted
}

// parseTree reads `git ls-tree -r -t -l -z` output.
func (t *treeFS) parseTree(out []byte) error {
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, name, ok := strings.Cut(string(rec), "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 4 {
			return fmt.Errorf("unexpected ls-tree record %q", rec)
		}
		e := &entry{name: path.Base(name), oid: fields[2]}
		switch fields[0] {
		case "040000":
			e.mode, e.oid = fs.ModeDir|0o555, ""
		case "100755":
			e.mode = 0o555
		case "100644":
			e.mode = 0o444
		case "120000":
			e.mode = fs.ModeSymlink | 0o777
		default: // 160000: a submodule's commit, not part of this tree
			continue
		}
		if e.mode&fs.ModeDir == 0 {
			size, err := strconv.ParseInt(fields[3], 10, 64)
			if err != nil {
				return fmt.Errorf("unexpected size in ls-tree record %q", rec)
			}
			e.size = size
		}
		t.entries[name] = e
	}
	// ls-tree lists a directory before its contents, so every parent exists.
	for name, e := range t.entries {
		if name == "." {
			continue
		}
		if parent := t.entries[path.Dir(name)]; parent != nil {
			parent.children = append(parent.children, e.name)
		}
	}
	for _, e := range t.entries {
		sort.Strings(e.children)
	}
	return nil
}

// lookup returns the entry for name, following symbolic links in every
// component and, when follow is true, in the last one. It returns the entry
// and its resolved path. t.mu must be held.
func (t *treeFS) lookup(op, name string, follow bool) (*entry, string, error) {
	if !fs.ValidPath(name) {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	notExist := &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	rest := strings.Split(name, "/")
	if name == "." {
		rest = nil
	}
	cur := "."
	for hops := 0; len(rest) > 0; {
		p := path.Join(cur, rest[0])
		e := t.entries[p]
		if e == nil {
			return nil, "", notExist
		}
		if e.mode&fs.ModeSymlink == 0 || (len(rest) == 1 && !follow) {
			cur, rest = p, rest[1:]
			continue
		}
		if hops++; hops > maxSymlinkHops {
			return nil, "", &fs.PathError{Op: op, Path: name, Err: errors.New("too many levels of symbolic links")}
		}
		if err := t.load(p); err != nil {
			return nil, "", &fs.PathError{Op: op, Path: name, Err: err}
		}
		target := string(e.data)
		if path.IsAbs(target) {
			return nil, "", notExist
		}
		target = path.Join(cur, target)
		if target == ".." || strings.HasPrefix(target, "../") {
			return nil, "", notExist // the link leaves the tree
		}
		cur, rest = ".", append(strings.Split(target, "/"), rest[1:]...)
		if target == "." {
			rest = rest[1:]
		}
	}
	return t.entries[cur], cur, nil
}

// load fetches the contents of the blob at p, together with its small
// siblings, with one `git cat-file --batch`. t.mu must be held.
func (t *treeFS) load(p string) error {
	e := t.entries[p]
	if e.loaded {
		return nil
	}
	want := []*entry{e}
	if dir := t.entries[path.Dir(p)]; dir != nil {
		for _, c := range dir.children {
			s := t.entries[path.Join(path.Dir(p), c)]
			if s != e && !s.loaded && s.mode&fs.ModeDir == 0 && s.size <= eagerBlobLimit {
				want = append(want, s)
			}
		}
	}
	var in bytes.Buffer
	for _, w := range want {
		in.WriteString(w.oid + "\n")
	}
	out, err := git(t.root, in.Bytes(), "cat-file", "--batch")
	if err != nil {
		return fmt.Errorf("reading %s: %w", p, err)
	}
	r := bufio.NewReader(bytes.NewReader(out))
	for _, w := range want {
		header, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("reading %s: short git cat-file output: %w", p, err)
		}
		fields := strings.Fields(header)
		if len(fields) != 3 || fields[0] != w.oid || fields[1] != "blob" {
			return fmt.Errorf("reading %s: unexpected git cat-file header %q", p, header)
		}
		data := make([]byte, w.size+1) // contents and the trailing newline
		if _, err := io.ReadFull(r, data); err != nil {
			return fmt.Errorf("reading %s: short git cat-file output: %w", p, err)
		}
		w.data, w.loaded = data[:w.size], true
	}
	return nil
}

// Open implements fs.FS.
func (t *treeFS) Open(name string) (fs.File, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, p, err := t.lookup("open", name, true)
	if err != nil {
		return nil, err
	}
	if e.mode.IsDir() {
		return &dirFile{info: fileInfo{e, path.Base(name)}, entries: t.dirEntries(p)}, nil
	}
	if err := t.load(p); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &blobFile{info: fileInfo{e, path.Base(name)}, Reader: bytes.NewReader(e.data)}, nil
}

// ReadFile implements fs.ReadFileFS. The caller may modify the result.
func (t *treeFS) ReadFile(name string) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, p, err := t.lookup("readfile", name, true)
	if err != nil {
		return nil, err
	}
	if e.mode.IsDir() {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errors.New("is a directory")}
	}
	if err := t.load(p); err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return bytes.Clone(e.data), nil
}

// ReadDir implements fs.ReadDirFS: the entries sorted by name.
func (t *treeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, p, err := t.lookup("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !e.mode.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return t.dirEntries(p), nil
}

// Stat implements fs.StatFS. Like os.Stat it follows symbolic links.
func (t *treeFS) Stat(name string) (fs.FileInfo, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, _, err := t.lookup("stat", name, true)
	if err != nil {
		return nil, err
	}
	return fileInfo{e, path.Base(name)}, nil
}

// dirEntries lists the directory at resolved path p. t.mu must be held.
func (t *treeFS) dirEntries(p string) []fs.DirEntry {
	dir := t.entries[p]
	out := make([]fs.DirEntry, 0, len(dir.children))
	for _, c := range dir.children {
		out = append(out, fs.FileInfoToDirEntry(fileInfo{t.entries[path.Join(p, c)], c}))
	}
	return out
}

// fileInfo describes an entry under the name it was reached by.
type fileInfo struct {
	e    *entry
	name string
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.e.size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.e.mode }
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return fi.e.mode.IsDir() }
func (fi fileInfo) Sys() any           { return nil }

// blobFile is an open regular file.
type blobFile struct {
	info fileInfo
	*bytes.Reader
}

func (f *blobFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *blobFile) Close() error               { return nil }

// dirFile is an open directory.
type dirFile struct {
	info    fileInfo
	entries []fs.DirEntry
	off     int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}

// ReadDir implements fs.ReadDirFile.
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}

// ConfigDirs returns, sorted, the directories (slash-separated, relative to
// the repository root, "." for the root) that hold a pipeline file
// (dsl.IsConfigFile) containing text in the commit ref resolves to: the
// components whose config at that ref may mention text. One git grep.
func ConfigDirs(root, ref, text string) ([]string, error) {
	commit, err := resolve(root, ref)
	if err != nil {
		return nil, err
	}
	out, err := git(root, nil, "grep", "-l", "-z", "-F", "-e", text, commit, "--", "*pipeline.hcl")
	if exitCode(err) == 1 {
		return nil, nil // no match
	}
	if err != nil {
		return nil, fmt.Errorf("searching the pipeline files at %s: %w", ref, err)
	}
	seen := map[string]bool{}
	var dirs []string
	for _, name := range strings.Split(string(out), "\x00") {
		name = strings.TrimPrefix(name, commit+":")
		if name == "" || !dsl.IsConfigFile(path.Base(name)) {
			continue
		}
		if d := path.Dir(name); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	return dirs, nil
}
