package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/engine/view"
)

// monoComponent returns the pipeline of a monorepo component in directory
// name, deploying to prod; extra goes into its pipeline block.
func monoComponent(name, extra string) string {
	return fmt.Sprintf(`
pipeline %q {
  version = "1.0.${git.commit_count}"
  image   = "busybox"
  %s
}
build "app" {
  step "compile" { run = "mkdir -p dist && cp src.txt dist/app" }
}
package "app" {
  artifact "bin" { path = "dist/app" }
}
environment "prod" {
  step "rollout" { run = "test -s ${release.artifacts.bin}" }
}
`, name, extra)
}

// historyCommits returns the commits of each prod deployment of the
// component in dir, newest deployment first.
func historyCommits(t *testing.T, r *repo, dir string) [][]string {
	t.Helper()
	h := decode[view.History](t, r.must(0, nil, "-C", dir, "history", "--env", "prod", "--json").stdout)
	var out [][]string
	for _, d := range h.Deployments {
		shas := []string{}
		for _, c := range d.Commits {
			shas = append(shas, c.SHA)
		}
		out = append(out, shas)
	}
	return out
}

// TestMonorepoCommitsPerComponent: two components in one repository; the
// commits listed with each deployment are exactly those that touched the
// component's directory (or a path it declares), not the other's, nor the
// repository's whole history on the first deployment. history shows 10
// commits per deployment and how many more; --commits all shows all.
func TestMonorepoCommitsPerComponent(t *testing.T) {
	r := newRepo(t)
	root := r.commit("repository readme", map[string]string{"README.md": "monorepo\n"})
	a1 := r.commit("api: first", map[string]string{"api/pipeline.hcl": monoComponent("api", ""), "api/src.txt": "api 1\n"})
	w1 := r.commit("web: first", map[string]string{"web/pipeline.hcl": monoComponent("web", `paths = ["../shared"]`), "web/src.txt": "web 1\n"})
	s1 := r.commit("shared: first", map[string]string{"shared/lib.txt": "lib 1\n"})
	r.must(0, nil, "-C", "api", "run", "--runner", "local", "--plain")
	r.must(0, nil, "-C", "web", "run", "--runner", "local", "--plain")

	a2 := r.commit("api: second", map[string]string{"api/src.txt": "api 2\n"})
	w2 := r.commit("web: second", map[string]string{"web/src.txt": "web 2\n"})
	r.commit("readme only", map[string]string{"README.md": "monorepo 2\n"})
	both := r.commit("api and web", map[string]string{"api/src.txt": "api 3\n", "web/src.txt": "web 3\n"})
	s2 := r.commit("shared: second", map[string]string{"shared/lib.txt": "lib 2\n"})
	var many []string
	for i := 1; i <= 12; i++ {
		many = append(many, r.commit(fmt.Sprintf("api: change %d", i), map[string]string{"api/src.txt": fmt.Sprintf("api change %d\n", i)}))
	}
	r.must(0, nil, "-C", "api", "run", "--runner", "local", "--plain")
	r.must(0, nil, "-C", "web", "run", "--runner", "local", "--plain")

	reverse := func(s []string) []string {
		out := make([]string, len(s))
		for i, v := range s {
			out[len(s)-1-i] = v
		}
		return out
	}
	apiSecond := append(reverse(many), both, a2)
	tests := []struct {
		dir  string
		want [][]string
	}{
		{"api", [][]string{apiSecond, {a1}}},
		{"web", [][]string{{s2, both, w2}, {s1, w1}}},
	}
	for _, tt := range tests {
		got := historyCommits(t, r, tt.dir)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("commits of the %s deployments = %v; want %v (root-only commit %s must be in neither)", tt.dir, got, tt.want, root)
		}
	}

	// A first deployment lists the component's newest commits, at most 20.
	var jobs []string
	for i := 1; i <= 25; i++ {
		jobs = append(jobs, r.commit(fmt.Sprintf("jobs: change %d", i), map[string]string{
			"jobs/pipeline.hcl": monoComponent("jobs", ""), "jobs/src.txt": fmt.Sprintf("jobs %d\n", i)}))
	}
	r.must(0, nil, "-C", "jobs", "run", "--runner", "local", "--plain")
	if got, want := historyCommits(t, r, "jobs"), [][]string{reverse(jobs[5:])}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("commits of the first jobs deployment = %v; want its 20 newest commits %v", got, want)
	}

	text := r.must(0, nil, "-C", "api", "history", "--env", "prod").stdout
	for _, want := range []string{"api: change 12", "api: change 3", "and 4 more", "first deployment to prod"} {
		if !strings.Contains(text, want) {
			t.Errorf("history does not show %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "api: change 2 (") || strings.Contains(text, "api: second") {
		t.Errorf("history shows more than 10 commits of a deployment:\n%s", text)
	}
	all := r.must(0, nil, "-C", "api", "history", "--env", "prod", "--commits", "all").stdout
	for _, want := range []string{"api: change 1 (", "api: second", "api and web"} {
		if !strings.Contains(all, want) {
			t.Errorf("history --commits all does not show %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "more (--commits") {
		t.Errorf("history --commits all still truncates:\n%s", all)
	}
}
