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

// foreignScoped returns the secrets reading environment variable name
// that the pipeline configs at the trusted ref outside the change's
// directory (a monorepo's other components, or the config a change moved
// away from) scope to environments. Only the configs whose files mention
// name are loaded, once per name. A directory whose config does not load
// contributes what did load; errors searching the ref give none (the
// change's own directory is still checked). Safe for concurrent use.
func (r *Result) foreignScoped(name string) []foreignSecret {
	r.othersMu.Lock()
	defer r.othersMu.Unlock()
	if out, ok := r.others[name]; ok {
		return out
	}
	out := r.loadForeign(name)
	if r.others == nil {
		r.others = map[string][]foreignSecret{}
	}
	r.others[name] = out
	return out
}

func (r *Result) loadForeign(name string) []foreignSecret {
	if r.root == "" || r.Ref == "" || name == "" {
		return nil
	}
	dirs, err := gitsrc.ConfigDirs(r.root, r.Ref, name)
	if err != nil {
		return nil
	}
	var out []foreignSecret
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
		pipeline := "(unnamed)"
		if cfg.Pipeline != nil {
			pipeline = cfg.Pipeline.Name
		}
		where := "directory " + dir
		if dir == "." {
			where = "the repository root"
		}
		for _, sname := range sortedNames(cfg.Secrets) {
			if s := cfg.Secrets[sname]; s.EnvironmentsSet && s.Env == name {
				out = append(out, foreignSecret{pipeline: pipeline, where: where, secret: s})
			}
		}
	}
	return out
}
