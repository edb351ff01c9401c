package release

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWalkContextDockerignore(t *testing.T) {
	tests := []struct {
		name   string
		ignore string
		want   []string
	}{
		{"no file", "", []string{"Dockerfile", "a.txt", "docs", "docs/x.md", "docs/y.md", "src", "src/main.go", "src/vendor", "src/vendor/v.go"}},
		{"plain names", "a.txt\ndocs\n", []string{".dockerignore", "Dockerfile", "src", "src/main.go", "src/vendor", "src/vendor/v.go"}},
		{"double star", "**/*.go\n", []string{".dockerignore", "Dockerfile", "a.txt", "docs", "docs/x.md", "docs/y.md", "src", "src/vendor"}},
		{"exception", "docs\n!docs/y.md\n", []string{".dockerignore", "Dockerfile", "a.txt", "docs/y.md", "src", "src/main.go", "src/vendor", "src/vendor/v.go"}},
		{"dockerfile and itself always sent", "Dockerfile\n.dockerignore\n*\n", []string{".dockerignore", "Dockerfile"}},
		{"comments and blanks", "# a comment\n\n   src/vendor   \n", []string{".dockerignore", "Dockerfile", "a.txt", "docs", "docs/x.md", "docs/y.md", "src", "src/main.go"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"Dockerfile", "a.txt", "docs/x.md", "docs/y.md", "src/main.go", "src/vendor/v.go", ".git/HEAD", ".pipeline/state.db"} {
				p := filepath.Join(dir, f)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.ignore != "" {
				if err := os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte(tt.ignore), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			err := walkContext(dir, "Dockerfile", func(_, rel string, _ fs.DirEntry) error {
				got = append(got, rel)
				return nil
			})
			if err != nil {
				t.Fatalf("walkContext = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("walkContext with .dockerignore %q (-want +got):\n%s", strings.ReplaceAll(tt.ignore, "\n", `\n`), diff)
			}
		})
	}
}
