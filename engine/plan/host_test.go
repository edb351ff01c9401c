package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-cd/pipeline/runners"
)

func TestHostStepsRefused(t *testing.T) {
	const head = "pipeline \"p\" {\n  image = \"alpine:3.20\"\n}\n"
	local := head + "build \"b\" {\n  step \"s\" {\n    runner = \"local\"\n    run = \"make\"\n  }\n  step \"c\" {\n    run = \"make\"\n  }\n}\n" +
		"environment \"prod\" {\n  step \"d\" {\n    runner = \"local\"\n    run = \"deploy\"\n  }\n}\n"
	tests := []struct {
		name  string
		src   string
		opts  Options
		want  []string // refused step IDs; nil: New succeeds
		lines []string
	}{
		{name: "containers only", src: head + "build \"b\" {\n  step \"s\" {\n    run = \"make\"\n  }\n}\n"},
		{
			name: "local steps without the flag",
			src:  local,
			want: []string{"build.b.s", "environment.prod.d"},
			lines: []string{
				"2 steps ask to run on the host",
				"build.b.s (pipeline.hcl:5:3)",
				"environment.prod.d (pipeline.hcl:14:3)",
				"--allow-host",
			},
		},
		{name: "--allow-host", src: local, opts: Options{AllowHost: true}},
		{
			name: "the trusted config allows one",
			src:  local,
			opts: Options{TrustedHost: map[string]bool{"build.b.s": true}},
			want: []string{"environment.prod.d"},
		},
		{
			name: "the trusted config allows both",
			src:  local,
			opts: Options{TrustedHost: map[string]bool{"build.b.s": true, "environment.prod.d": true}},
		},
		{name: "a step left out is not refused", src: local, opts: Options{Only: []string{"build"}, TrustedHost: map[string]bool{"build.b.s": true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(loadHCL(t, tt.src), tt.opts)
			if tt.want == nil {
				if err != nil || p == nil {
					t.Fatalf("New(%+v) = %v, %v; want a plan", tt.opts, p, err)
				}
				return
			}
			var he *HostError
			if !errors.As(err, &he) || !errors.Is(err, runners.ErrHost) {
				t.Fatalf("New(%+v) error = %v (%T); want a *HostError matching runners.ErrHost", tt.opts, err, err)
			}
			var got []string
			for _, s := range he.Steps {
				got = append(got, s.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("HostError.Steps mismatch (-want +got):\n%s", diff)
			}
			for _, l := range tt.lines {
				if !strings.Contains(err.Error(), l) {
					t.Errorf("error does not contain %q:\n%s", l, err)
				}
			}
		})
	}
	if got := HostSteps(loadHCL(t, local)); !cmp.Equal(got, map[string]bool{"build.b.s": true, "environment.prod.d": true}) {
		t.Errorf("HostSteps() = %v", got)
	}
}
