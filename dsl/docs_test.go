package dsl

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"
)

var hclBlock = regexp.MustCompile("(?s)```hcl\n(.*?)```")

// TestLanguageDocExamples loads every complete example of
// docs/language.md (an hcl code block with a pipeline block) and expects
// no error: the examples are runnable as written. The required variable of
// the variables example is set the way the document shows,
// PIPELINE_VAR_region=eu-west-1.
func TestLanguageDocExamples(t *testing.T) {
	b, err := os.ReadFile("../docs/language.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range hclBlock.FindAllSubmatch(b, -1) {
		src := string(m[1])
		if !strings.Contains(src, "pipeline \"") {
			continue
		}
		n++
		name := strings.SplitN(strings.SplitN(src, "pipeline \"", 2)[1], "\"", 2)[0]
		t.Run(name, func(t *testing.T) {
			p := NewParser()
			_, diags := p.LoadDir(fstest.MapFS{"pipeline.hcl": {Data: []byte(src)}}, LoadOptions{
				Getenv: func(name string) (string, bool) {
					if name == "PIPELINE_VAR_region" {
						return "eu-west-1", true
					}
					return testGetenv(name)
				},
				ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist },
				Git:      GitInfo{CommitCount: -1},
			})
			if diags.HasErrors() {
				var sb strings.Builder
				_ = hcl.NewDiagnosticTextWriter(&sb, p.Files(), 100, false).WriteDiagnostics(diags)
				t.Errorf("the example %q of docs/language.md does not load:\n%s", name, sb.String())
			}
		})
	}
	if n < 2 {
		t.Errorf("found %d complete examples in docs/language.md; want at least 2", n)
	}
}
