package examples_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// ciInvocation matches a pipeline command in a CI script: "pipeline SUB ARGS"
// up to the end of the shell command.
var ciInvocation = regexp.MustCompile(`\bpipeline ([a-z]+)([^|;&>\n]*)`)

// ciFlag matches a flag argument ("-check", "--base").
var ciFlag = regexp.MustCompile(`(?:^|\s)--?([a-z][a-z-]*)`)

// TestCIFiles checks that the CI examples use the pipeline CLI as it is:
// every "pipeline SUB --flag" they run names a real command and real flags,
// and each CI system runs the review and delivery commands the README
// promises, with PostgreSQL state.
func TestCIFiles(t *testing.T) {
	systems := []struct {
		name  string
		files []string
	}{
		{"github", []string{"ci/github/workflows/pipeline.yml", "ci/github/workflows/approve.yml"}},
		{"gitlab", []string{"ci/gitlab/.gitlab-ci.yml"}},
	}
	wantCommands := []string{"validate", "fmt -check", "diff --base", "diff --format", "run", "approve --as", "resume", "status"}
	helps := map[string]string{}
	for _, sys := range systems {
		t.Run(sys.name, func(t *testing.T) {
			used := map[string]bool{}
			state := false
			for _, file := range sys.files {
				data, err := os.ReadFile(filepath.FromSlash(file))
				if err != nil {
					t.Fatalf("reading %s: %v", file, err)
				}
				state = state || strings.Contains(string(data), "PIPELINE_STATE")
				for n, line := range strings.Split(string(data), "\n") {
					if strings.HasPrefix(strings.TrimSpace(line), "#") {
						continue
					}
					for _, m := range ciInvocation.FindAllStringSubmatch(line, -1) {
						sub, args := m[1], m[2]
						help, ok := helps[sub]
						if !ok {
							res := cli(t, ".", nil, sub, "--help")
							if res.code != 0 || !strings.Contains(res.stdout, "pipeline "+sub) {
								t.Errorf("%s:%d: pipeline %s is not a command of the CLI\n%s", file, n+1, sub, res)
								continue
							}
							help = res.stdout
							helps[sub] = help
						}
						used[sub] = true
						for _, f := range ciFlag.FindAllStringSubmatch(args, -1) {
							if !strings.Contains(help, "--"+f[1]+" ") {
								t.Errorf("%s:%d: pipeline %s has no flag -%s (pipeline %s --help)", file, n+1, sub, f[1], sub)
							}
							used[sub+" --"+f[1]] = true
						}
					}
				}
			}
			for _, want := range wantCommands {
				key := strings.Replace(want, " -check", " --check", 1)
				if !used[key] {
					var got []string
					for k := range used {
						got = append(got, k)
					}
					slices.Sort(got)
					t.Errorf("%s CI files never run pipeline %s; they run %v", sys.name, want, got)
				}
			}
			if !state {
				t.Errorf("%s CI files never set PIPELINE_STATE; runs in CI need the shared PostgreSQL store", sys.name)
			}
		})
	}
}
