package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// walkContext calls fn for every entry of the build context dir that an
// image build sends, in lexical order: everything but the directories .git
// and .pipeline and what dir's .dockerignore excludes, with the rules of
// the docker CLI (patterns are relative to the context, "**" matches any
// number of directories, a later "!pattern" includes again). The
// Dockerfile and .dockerignore are always sent. rel is slash-separated.
func walkContext(dir, dockerfile string, fn func(p, rel string, d fs.DirEntry) error) error {
	pm, err := dockerignore(dir)
	if err != nil {
		return err
	}
	dockerfile = path.Clean(filepath.ToSlash(dockerfile))
	parents := map[string]patternmatcher.MatchInfo{}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() && (d.Name() == ".git" || d.Name() == ".pipeline") {
			return filepath.SkipDir
		}
		if pm != nil && rel != dockerfile && rel != ".dockerignore" {
			skip, info, err := pm.MatchesUsingParentResults(rel, parents[path.Dir(rel)])
			if err != nil {
				return fmt.Errorf(".dockerignore of %s: %w", dir, err)
			}
			if d.IsDir() {
				parents[rel] = info
			}
			if skip {
				if d.IsDir() && !pm.Exclusions() {
					return filepath.SkipDir
				}
				return nil // a later !pattern may include something below it
			}
		}
		return fn(p, rel, d)
	})
}

// dockerignore reads dir/.dockerignore; nil when there is none.
func dockerignore(dir string) (*patternmatcher.PatternMatcher, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, ".dockerignore"), err)
	}
	if len(patterns) == 0 {
		return nil, nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ".dockerignore"), err)
	}
	return pm, nil
}

// ContextDigest returns "sha256:..." over what an image build of dir with
// dockerfile and args would send: the names, kinds, permission bits and
// contents of the files walkContext lists, the Dockerfile's name and the
// build args. Two contexts with the same digest build the same image
// (unless the Dockerfile reads the network or the base image changed).
func ContextDigest(dir, dockerfile string, args map[string]string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "pipeline-context-v1\x00%s\x00", path.Clean(filepath.ToSlash(dockerfile)))
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "arg\x00%s\x00%s\x00", k, args[k])
	}
	err := walkContext(dir, dockerfile, func(p, rel string, d fs.DirEntry) error {
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "link\x00%s\x00%s\x00", rel, target)
		case d.IsDir():
			fmt.Fprintf(h, "dir\x00%s\x00%o\x00", rel, info.Mode().Perm())
		case info.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			fmt.Fprintf(h, "file\x00%s\x00%o\x00%d\x00", rel, info.Mode().Perm(), info.Size())
			if _, err := io.Copy(h, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hashing the build context %s: %w", dir, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
