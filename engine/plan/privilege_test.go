package plan

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-cd/pipeline/runners"
)

func TestPrivilegedStepsRefused(t *testing.T) {
	const head = "pipeline \"p\" {\n  image = \"alpine:3.20\"\n}\n"
	tests := []struct {
		name  string
		src   string
		opts  Options
		want  []PrivilegedStep // nil: New succeeds
		lines []string         // substrings of the error
	}{
		{
			name: "unprivileged steps plan",
			src:  head + "build \"b\" {\n  step \"s\" {\n    run = \"make\"\n  }\n}\n",
		},
		{
			name: "privileged",
			src:  head + "build \"b\" {\n  step \"s\" {\n    privileged = true\n    run = \"make\"\n  }\n}\n",
			want: []PrivilegedStep{{ID: "build.b.s", Asks: []string{"privileged mode"}}},
			lines: []string{
				"build.b.s (pipeline.hcl:5:3) asks for privileged mode",
				"Remove it, or run with --allow-privileged if you trust this config",
			},
		},
		{
			name: "privileged false is no ask",
			src:  head + "build \"b\" {\n  step \"s\" {\n    privileged = false\n    run = \"make\"\n  }\n}\n",
		},
		{
			name: "host mount and docker socket in every kind of stage",
			src: head + "build \"b\" {\n  step \"s\" {\n    mounts = [\"/srv/cache:/cache:ro\"]\n    run = \"make\"\n  }\n}\n" +
				"environment \"prod\" {\n  step \"d\" {\n    mounts = [\"/run/docker.sock:/var/run/docker.sock\"]\n    run = \"deploy\"\n  }\n}\n",
			want: []PrivilegedStep{
				{ID: "build.b.s", Asks: []string{"host bind mount /srv/cache:/cache:ro"}},
				{ID: "environment.prod.d", Asks: []string{"the Docker socket (mount /run/docker.sock:/var/run/docker.sock)"}},
			},
			lines: []string{
				"2 steps ask for host privileges",
				"build.b.s (pipeline.hcl:5:3) asks for host bind mount /srv/cache:/cache:ro",
				"environment.prod.d (pipeline.hcl:11:3) asks for the Docker socket (mount /run/docker.sock:/var/run/docker.sock)",
				"Remove them, or run with --allow-privileged",
			},
		},
		{
			name: "allowed",
			src:  head + "build \"b\" {\n  step \"s\" {\n    privileged = true\n    mounts = [\"/var/run/docker.sock:/var/run/docker.sock\"]\n    run = \"make\"\n  }\n}\n",
			opts: Options{AllowPrivileged: true},
		},
		{
			name: "a step left out of the plan is not refused",
			src: head + "build \"b\" {\n  step \"s\" {\n    run = \"make\"\n  }\n}\n" +
				"test \"t\" {\n  step \"s\" {\n    privileged = true\n    run = \"make\"\n  }\n}\n",
			opts: Options{Only: []string{"build"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(loadHCL(t, tt.src), tt.opts)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("New(%+v) error = %v; want a plan", tt.opts, err)
				}
				if p == nil || len(p.Steps()) == 0 {
					t.Fatalf("New(%+v) = %v; want a plan with steps", tt.opts, p)
				}
				return
			}
			if p != nil {
				t.Errorf("New(%+v) returned a plan with the error", tt.opts)
			}
			var pe *PrivilegeError
			if !errors.As(err, &pe) {
				t.Fatalf("New(%+v) error = %v (%T); want a *PrivilegeError", tt.opts, err, err)
			}
			if !errors.Is(err, runners.ErrPrivileged) {
				t.Errorf("errors.Is(%v, runners.ErrPrivileged) = false; want true", err)
			}
			got := make([]PrivilegedStep, len(pe.Steps))
			for i, s := range pe.Steps {
				if s.Range.Filename != "pipeline.hcl" || s.Range.Start.Line == 0 {
					t.Errorf("step %s Range = %v; want the step block in pipeline.hcl", s.ID, s.Range)
				}
				got[i] = PrivilegedStep{ID: s.ID, Asks: s.Asks}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PrivilegeError.Steps mismatch (-want +got):\n%s", diff)
			}
			for _, l := range tt.lines {
				if !strings.Contains(err.Error(), l) {
					t.Errorf("error does not contain %q:\n%s", l, err)
				}
			}
		})
	}
}
