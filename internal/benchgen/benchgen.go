// Package benchgen generates large, valid pipeline configs for benchmarks
// of loading, validation and planning.
package benchgen

import (
	"fmt"
	"strings"
)

// Config returns a valid pipeline config with the given number of steps
// spread evenly over stages: build, test and package stages in equal
// thirds, each stage needing the one before it of the previous kind, and
// inside each stage a chain of needs every third step so that validation
// and planning see real edges, not only independent steps.
func Config(steps, stages int) []byte {
	if stages < 3 {
		stages = 3
	}
	perStage := steps / stages
	if perStage < 1 {
		perStage = 1
	}
	var b strings.Builder
	b.Grow(steps * 120)
	b.WriteString("pipeline \"bench\" {\n  image = \"alpine:3.20\"\n}\n\n")
	b.WriteString("variable \"flags\" {\n  type    = string\n  default = \"-v\"\n}\n\n")
	kinds := []string{"build", "test", "package"}
	for s := 0; s < stages; s++ {
		kind := kinds[s*len(kinds)/stages]
		fmt.Fprintf(&b, "%s \"s%d\" {\n", kind, s)
		if s > 0 && kind == kinds[(s-1)*len(kinds)/stages] {
			fmt.Fprintf(&b, "  needs = [%s.s%d]\n", kind, s-1)
		}
		for i := 0; i < perStage; i++ {
			fmt.Fprintf(&b, "  step \"t%d\" {\n    run = \"echo ${var.flags} %d-%d\"\n", i, s, i)
			if i%3 == 2 {
				fmt.Fprintf(&b, "    needs = [step.t%d]\n", i-1)
			}
			b.WriteString("  }\n")
		}
		b.WriteString("}\n\n")
	}
	return []byte(b.String())
}
