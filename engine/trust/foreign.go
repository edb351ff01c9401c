package trust

import (
	"path"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
)

// foreignSecret is a secret scoped to environments by the config of
// another pipeline directory at the trusted ref.
type foreignSecret struct {
	pipeline string // its pipeline's name
	where    string // "directory DIR" or "the repository root"
	secret   *dsl.Secret
}

// foreignScoped returns the scoped secrets of every pipeline config at the
// trusted ref outside the change's directory (a monorepo's other
// components, or the config a change moved away from), loaded once. A
// directory whose config does not load contributes what did load. Errors
// listing the ref leave the list empty: the change's own directory is
// still checked.
func (r *Result) foreignScoped() []foreignSecret {
	if r.others != nil {
		return *r.others
	}
	out := []foreignSecret{}
	r.others = &out
	if r.root == "" || r.Ref == "" {
		return out
	}
	dirs, err := gitsrc.ConfigDirs(r.root, r.Ref)
	if err != nil {
		return out
	}
	for _, dir := range dirs {
		if dir == path.Clean(r.dir) {
			continue
		}
		fsys, commit, err := gitsrc.RefFS(r.root, r.Ref, dir)
		if err != nil {
			continue
		}
		prefix := r.Ref + ":" + dir + "/"
		if dir == "." {
			prefix = r.Ref + ":"
		}
		cfg, _ := dsl.NewParser().LoadDir(fsys, dsl.LoadOptions{Dir: dir, FilenamePrefix: prefix,
			Source: dsl.Source{Ref: r.Ref, Commit: commit}, Getenv: r.getenv})
		if cfg == nil {
			continue
		}
		name := "(unnamed)"
		if cfg.Pipeline != nil {
			name = cfg.Pipeline.Name
		}
		where := "directory " + dir
		if dir == "." {
			where = "the repository root"
		}
		for _, sname := range sortedNames(cfg.Secrets) {
			if s := cfg.Secrets[sname]; s.EnvironmentsSet && s.Env != "" {
				out = append(out, foreignSecret{pipeline: name, where: where, secret: s})
			}
		}
	}
	return out
}
