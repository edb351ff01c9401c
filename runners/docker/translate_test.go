package docker

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/runners"
)

func TestTranslate(t *testing.T) {
	r := New(nil, Options{}, hclog.NewNullLogger())
	step := &runners.Step{
		ID: "build.app.compile", RunID: "r1", Image: "golang:1.26", Script: "go build ./...",
		Workspace: "/src/app", Workdir: "cmd/app",
		Env: map[string]string{"Z": "last", "A": "first", "CGO_ENABLED": "0"},
	}
	spec, err := r.translate(step)
	if err != nil {
		t.Fatalf("translate(%+v) = %v", step, err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Cmd", []string(spec.config.Cmd), []string{"sh", "-c", "go build ./..."}},
		{"Env", spec.config.Env, []string{"A=first", "CGO_ENABLED=0", "Z=last"}},
		{"WorkingDir", spec.config.WorkingDir, "/workspace/cmd/app"},
		{"Binds", spec.host.Binds, []string{"/src/app:/workspace"}},
		{"Privileged", spec.host.Privileged, false},
		{"CapDrop has NET_RAW", slices.Contains(spec.host.CapDrop, "NET_RAW"), true},
		{"no-new-privileges", slices.Contains(spec.host.SecurityOpt, "no-new-privileges:true"), true},
		{"Init", *spec.host.Init, true},
		{"CapAdd", len(spec.host.CapAdd), 0},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !equal(c.got, c.want) {
				t.Errorf("translate(%s).%s = %v; want %v", step.ID, c.name, c.got, c.want)
			}
		})
	}
}

func equal(a, b any) bool {
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

func TestTranslateRefusals(t *testing.T) {
	base := func() *runners.Step {
		return &runners.Step{ID: "s", Image: "img", Script: "true", Workspace: "/src"}
	}
	tests := []struct {
		name    string
		edit    func(*runners.Step)
		allow   bool
		wantErr error
	}{
		{"plain step", func(*runners.Step) {}, false, nil},
		{"privileged", func(s *runners.Step) { s.Privileged = true }, false, runners.ErrPrivileged},
		{"host mount", func(s *runners.Step) { s.Mounts = []string{"/etc:/etc:ro"} }, false, runners.ErrPrivileged},
		{"docker socket", func(s *runners.Step) { s.Mounts = []string{"/var/run/docker.sock:/var/run/docker.sock"} }, false, runners.ErrPrivileged},
		{"host root as workspace", func(s *runners.Step) { s.Workspace = "/" }, false, runners.ErrPrivileged},
		{"privileged allowed", func(s *runners.Step) { s.Privileged = true }, true, nil},
		{"docker socket allowed", func(s *runners.Step) { s.Mounts = []string{"/var/run/docker.sock:/var/run/docker.sock"} }, true, nil},
		{"malformed mount", func(s *runners.Step) { s.Mounts = []string{"relative:/x"} }, true, runners.ErrInvalidStep},
		{"bad mount mode", func(s *runners.Step) { s.Mounts = []string{"/a:/b:rx"} }, true, runners.ErrInvalidStep},
		{"no image", func(s *runners.Step) { s.Image = "" }, false, runners.ErrInvalidStep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(nil, Options{AllowPrivileged: tt.allow}, nil)
			step := base()
			tt.edit(step)
			_, err := r.translate(step)
			if tt.wantErr == nil && err != nil || !errors.Is(err, tt.wantErr) {
				t.Errorf("translate(%s, allow=%v) = %v; want %v", tt.name, tt.allow, err, tt.wantErr)
			}
		})
	}
}

func TestProcessAlive(t *testing.T) {
	tests := []struct {
		pid  string
		want bool
	}{
		{"1", true},
		{"", false},
		{"not-a-number", false},
		{"-5", false},
		{"2147483646", false},
	}
	for _, tt := range tests {
		if got := processAlive(tt.pid); got != tt.want {
			t.Errorf("processAlive(%q) = %v; want %v", tt.pid, got, tt.want)
		}
	}
}

func TestUnknownPullPolicy(t *testing.T) {
	r := New(nil, Options{}, nil)
	step := &runners.Step{ID: "s", Image: "img", Script: "true", Pull: "sometimes"}
	err := r.ensureImage(context.Background(), step, hclog.NewNullLogger())
	if !errors.Is(err, runners.ErrInvalidStep) || !strings.Contains(err.Error(), `"sometimes"`) {
		t.Errorf("ensureImage(pull %q) = %v; want ErrInvalidStep naming the policy", step.Pull, err)
	}
}
