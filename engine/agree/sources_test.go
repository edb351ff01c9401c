package agree_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// repoRoot is the module root, two levels above this package.
const repoRoot = "../.."

// validConfigs returns one scenario per config in testdata/valid: each
// *.pipeline.hcl file on its own, and each directory with every file in it.
func validConfigs(t *testing.T) []scenario {
	t.Helper()
	root := filepath.Join(repoRoot, "testdata", "valid")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []scenario
	for _, e := range entries {
		p := filepath.Join(root, e.Name())
		files := map[string]string{}
		if e.IsDir() {
			sub, err := os.ReadDir(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range sub {
				if !f.IsDir() {
					files[f.Name()] = readFile(t, filepath.Join(p, f.Name()))
				}
			}
		} else if strings.HasSuffix(e.Name(), ".hcl") {
			files["pipeline.hcl"] = readFile(t, p)
		} else {
			continue
		}
		out = append(out, scenario{name: "testdata/valid/" + e.Name(), trusted: files})
	}
	return out
}

var hclBlock = regexp.MustCompile("(?ms)^```hcl\n(.*?)^```")

// docExamples returns one scenario per complete example (one with a
// pipeline block) in docs/language.md.
func docExamples(t *testing.T) []scenario {
	t.Helper()
	doc := readFile(t, filepath.Join(repoRoot, "docs", "language.md"))
	var out []scenario
	for i, m := range hclBlock.FindAllStringSubmatch(doc, -1) {
		src := m[1]
		if !regexp.MustCompile(`(?m)^pipeline "`).MatchString(src) {
			continue // a fragment, not a config
		}
		name := "docs/language.md example " + itoa(i+1)
		out = append(out, scenario{name: name, trusted: map[string]string{"pipeline.hcl": src}})
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// secretScenarios are runs that must not start: a secret a step lists is
// not set, or is too short to mask.
func secretScenarios() []scenario {
	const cfg = `
pipeline "secrets" {}

secret "token" {
  env = "AGREE_TOKEN"
}

build "app" {
  step "compile" {}
}

environment "production" {
  step "rollout" {
    secrets = [secret.token]
  }
}
`
	scoped := strings.Replace(cfg, `env = "AGREE_TOKEN"`, "env          = \"AGREE_TOKEN\"\n  environments = [environment.production]", 1)
	// The change drops the scope and gives the secret to a build step.
	leaked := strings.Replace(cfg, "step \"compile\" {}", "step \"compile\" {\n    secrets = [secret.token]\n  }", 1)
	return []scenario{
		{name: "secret scoped at the trusted ref, unscoped and given to a build step by the change",
			trusted: map[string]string{"pipeline.hcl": scoped}, head: map[string]string{"pipeline.hcl": leaked}},
		{name: "secret not set", trusted: map[string]string{"pipeline.hcl": cfg}, unset: map[string]bool{"AGREE_TOKEN": true}},
		{name: "secret too short to mask", trusted: map[string]string{"pipeline.hcl": cfg}, env: map[string]string{"AGREE_TOKEN": "ab"}},
		{name: "secret set", trusted: map[string]string{"pipeline.hcl": cfg}, env: map[string]string{"AGREE_TOKEN": "a-long-enough-token"}},
	}
}

// TestDryRunAgreesOnValidConfigs runs every config of testdata/valid and
// every complete example of docs/language.md (and a config whose secret
// is missing or too short) as a dry run and as a real run and requires the
// same fate for every node and the same exit code.
func TestDryRunAgreesOnValidConfigs(t *testing.T) {
	scenarios := append(validConfigs(t), docExamples(t)...)
	scenarios = append(scenarios, secretScenarios()...)
	if len(scenarios) < 15 {
		t.Fatalf("found %d configs in testdata/valid and docs/language.md; want at least 15 (did a path move?)", len(scenarios))
	}
	sort.Slice(scenarios, func(i, j int) bool { return scenarios[i].name < scenarios[j].name })
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			check(t, sc)
		})
	}
}
