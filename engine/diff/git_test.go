package diff

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
	"github.com/pipeline-cd/pipeline/internal/gittest"
)

const gitBase = `pipeline "shop" {
  image = "golang:1.26@sha256:` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"
}

test "unit" {
  step "go-test" {
    run     = "go test ./..."
    timeout = "10m"
  }
}

environment "production" {
  branches = ["main"]
  gate "go-live" {
    approvers = ["carol@example.com"]
  }
  step "rollout" {
    run = "./deploy.sh ${git.short_sha}"
  }
}
`

// loadRef loads deploy/ at ref the way `pipeline diff --base REF` does;
// ref "" loads the working tree.
func loadRef(t *testing.T, root, ref string) *dsl.Config {
	t.Helper()
	opts := dsl.LoadOptions{Dir: "deploy", Getenv: func(string) (string, bool) { return "", false }}
	var fsys = os.DirFS(filepath.Join(root, "deploy"))
	rev := "HEAD"
	if ref != "" {
		refFS, commit, err := gitsrc.RefFS(root, ref, "deploy")
		if err != nil {
			t.Fatalf("RefFS(%q): %v", ref, err)
		}
		fsys, rev = refFS, commit
		opts.Source = dsl.Source{Ref: ref, Commit: commit}
		opts.FilenamePrefix = ref + ":deploy/"
	} else {
		opts.FilenamePrefix = "deploy/"
	}
	info, err := gitsrc.Info(root, rev)
	if err != nil {
		t.Fatalf("Info(%q): %v", rev, err)
	}
	opts.Git = info
	cfg, diags := dsl.NewParser().LoadDir(fsys, opts)
	if diags.HasErrors() {
		t.Fatalf("loading deploy/ at %q: %s", ref, diags.Error())
	}
	return cfg
}

// TestDiffGitRefs diffs configs read from a real repository: main, a
// feature branch that weakens production, and a dirty working tree.
func TestDiffGitRefs(t *testing.T) {
	const config = "deploy/shop.pipeline.hcl"
	root := gittest.Init(t)
	gittest.Commit(t, root, "Add the shop pipeline", map[string]string{config: gitBase})
	gittest.Git(t, root, "checkout", "-q", "-b", "feature")
	weakened := strings.Replace(gitBase, `branches = ["main"]`, `branches = ["main", "feature/*"]`, 1)
	weakened = strings.Replace(weakened, "  gate \"go-live\" {\n    approvers = [\"carol@example.com\"]\n  }\n", "", 1)
	gittest.Commit(t, root, "Let feature branches deploy", map[string]string{config: weakened})
	gittest.Git(t, root, "checkout", "-q", "main")
	// A dirty working tree: uncommitted, and invisible to --base main.
	gittest.Write(t, root, map[string]string{config: strings.Replace(gitBase, `timeout = "10m"`, `timeout = "15m"`, 1)})

	tests := []struct {
		name, base, head string // head "" is the working tree
		wantLabels       [2]string
		wantChanges      []string
		wantRisks        []string
	}{
		{
			name: "feature branch against main", base: "main", head: "feature",
			wantLabels: [2]string{"main", "feature"},
			wantChanges: []string{
				"~ stage environment.production branches: main -> feature/*, main",
				"- gate environment.production.go-live: approvers carol@example.com",
			},
			wantRisks: []string{
				"! [high] stage environment.production: Environment production now also accepts releases built from branches matching feature/*",
				`! [high] gate environment.production.go-live: Gate "go-live" was removed`,
			},
		},
		{
			name: "working tree against main", base: "main", head: "",
			wantLabels:  [2]string{"main", "working tree"},
			wantChanges: []string{"~ step test.unit.go-test timeout: 10m -> 15m"},
		},
		{
			name: "main against feature reverses the change", base: "feature", head: "main",
			wantLabels: [2]string{"feature", "main"},
			wantChanges: []string{
				"~ stage environment.production branches: feature/*, main -> main",
				"+ gate environment.production.go-live: approvers carol@example.com",
			},
		},
		{name: "a ref against itself", base: "main", head: "main", wantLabels: [2]string{"main", "main"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Compare(loadRef(t, root, tt.base), loadRef(t, root, tt.head))
			if r.Base != tt.wantLabels[0] || r.Head != tt.wantLabels[1] || r.Pipeline != "shop" {
				t.Errorf("Compare(%s, %s) = pipeline %q, %q -> %q; want shop, %q -> %q", tt.base, tt.head, r.Pipeline, r.Base, r.Head, tt.wantLabels[0], tt.wantLabels[1])
			}
			var out bytes.Buffer
			if err := r.WriteText(&out); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range strings.Split(out.String(), "\n") {
				if l = strings.TrimSpace(l); strings.HasPrefix(l, "+ ") || strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "~ ") || strings.HasPrefix(l, "! ") {
					got = append(got, l)
				}
			}
			want := append(append([]string(nil), tt.wantRisks...), tt.wantChanges...)
			if len(got) != len(want) {
				t.Fatalf("Compare(%s, %s) text has %d change and risk lines; want %d:\n%s", tt.base, tt.head, len(got), len(want), out.String())
			}
			for i := range want {
				if !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("Compare(%s, %s) line %d = %q; want it to start with %q", tt.base, tt.head, i, got[i], want[i])
				}
			}
			if r.Empty() != (len(want) == 0) {
				t.Errorf("Compare(%s, %s).Empty() = %v; want %v", tt.base, tt.head, r.Empty(), len(want) == 0)
			}
		})
	}
}
