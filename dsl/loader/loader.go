// Package loader finds a pipeline's config files in the working tree or in
// git at a ref, gathers the git.* context and decodes them with package dsl.
// It is the one entry point the CLI and the engine use to load a config.
package loader

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
)

// Request says what to load.
type Request struct {
	// Dir is the pipeline directory as the user named it (-C DIR).
	Dir string
	// Ref, when set, loads the files from git at Ref instead of the
	// working tree.
	Ref string
	// Branch, when set, is the git.branch the config sees instead of the
	// branch Ref (or HEAD) names: a resumed run loads its config at its
	// commit, which names no branch, and must see the branch it started on.
	Branch string
	// Vars are the -var and -var-file flags in command-line order.
	Vars []dsl.VarArg
	// Getenv reads the environment; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
}

// Result is a loaded config and where it came from.
type Result struct {
	Config *dsl.Config
	// Parser holds the parsed files, for rendering diagnostics with
	// source snippets.
	Parser *dsl.Parser
	// RepoRoot is the top of the git work tree holding Dir; empty when
	// Dir is not in a git repository.
	RepoRoot string
	// Component is Dir relative to RepoRoot, slash-separated ("." for the
	// root); the absolute directory when not in git.
	Component string
	// AbsDir is the absolute path of Dir in the working tree.
	AbsDir string
}

// Load loads the pipeline in req.Dir. Problems the user can fix (a missing
// directory, an unknown ref, config errors) come back as diagnostics; the
// Result is non-nil whenever a parser was created, so diagnostics can be
// rendered with source snippets.
func Load(req Request) (*Result, hcl.Diagnostics) {
	dir := req.Dir
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, errDiag("Invalid Pipeline Directory", fmt.Sprintf("Cannot resolve %q: %s.", dir, err))
	}
	res := &Result{Parser: dsl.NewParser(), AbsDir: abs, Component: filepath.ToSlash(abs)}
	if req.Ref == "" {
		st, err := os.Stat(abs)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return res, errDiag("Pipeline Directory Not Found",
				fmt.Sprintf("The directory %q does not exist. Pass the directory that holds your *.pipeline.hcl files with -C DIR.", dir))
		case err != nil:
			return res, errDiag("Pipeline Directory Not Readable", fmt.Sprintf("Cannot read %q: %s.", dir, err))
		case !st.IsDir():
			return res, errDiag("Pipeline Directory Not Found",
				fmt.Sprintf("%q is a file, not a directory. Pass the directory that holds your *.pipeline.hcl files with -C DIR.", dir))
		}
	}

	root, rootErr := gitsrc.RepoRoot(abs)
	if rootErr == nil {
		res.RepoRoot = root
		res.Component = relComponent(root, abs)
	}

	opts := dsl.LoadOptions{Dir: dir, Vars: req.Vars, Getenv: req.Getenv}
	var fsys fs.FS
	rev := "HEAD"
	if req.Ref != "" {
		if rootErr != nil {
			return res, errDiag("Not a Git Repository",
				fmt.Sprintf("--ref %s needs a git repository, but %q is not inside one (%s). Drop --ref to load the working tree.", req.Ref, dir, rootErr))
		}
		refFS, commit, err := gitsrc.RefFS(root, req.Ref, res.Component)
		if err != nil {
			return res, errDiag("Cannot Load Config From Git", err.Error()+".")
		}
		fsys, rev = refFS, commit
		opts.Source = dsl.Source{Ref: req.Ref, Commit: commit}
		opts.FilenamePrefix = req.Ref + ":" + prefixPath(res.Component)
	} else {
		fsys = os.DirFS(abs)
		opts.FilenamePrefix = prefixPath(filepath.ToSlash(filepath.Clean(dir)))
	}
	if res.RepoRoot != "" {
		if info, err := gitsrc.Info(root, rev); err == nil {
			if req.Branch != "" {
				info.Branch = req.Branch
			}
			opts.Git = info
			if opts.Source.Commit == "" {
				opts.Source.Commit = info.SHA
			}
		}
	}
	cfg, diags := res.Parser.LoadDir(fsys, opts)
	res.Config = cfg
	return res, diags
}

// relComponent returns dir relative to root, slash-separated.
func relComponent(root, dir string) string {
	// Resolve symlinks on both sides: git prints the real path.
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return "."
	}
	return filepath.ToSlash(rel)
}

// prefixPath turns a directory into a file-name prefix: "." becomes "" and
// anything else gets a trailing slash.
func prefixPath(dir string) string {
	if dir == "." || dir == "" {
		return ""
	}
	return strings.TrimSuffix(dir, "/") + "/"
}

func errDiag(summary, detail string) hcl.Diagnostics {
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}}
}
