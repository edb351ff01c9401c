package statetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-cd/pipeline/engine/state"
)

func newRelease(id, pipeline, version string, minute int) *state.Release {
	return &state.Release{
		ID: id, Pipeline: pipeline, Version: version, Commit: "abc123", Branch: "main", Author: "ann@example.com",
		ConfigDigest: "sha256:cfg", Digest: "sha256:rel-" + version, RunID: "run-" + version,
		Artifacts: []state.Artifact{
			{Name: "binary", Path: "dist/webapp", SHA256: "aa11", Size: 1 << 20},
			{Name: "assets", Path: "dist/assets.tgz", SHA256: "bb22", Size: 42},
		},
		Images:    []state.Image{{Name: "webapp", ID: "sha256:img", Tag: "pipeline/webapp-webapp:" + version}},
		CreatedAt: at(minute),
	}
}

func testReleases(t *testing.T, s state.Store) {
	r1 := newRelease("r1", "webapp", "1.0.0", 0)
	r2 := newRelease("r2", "webapp", "1.1.0", 5)
	r2.Artifacts, r2.Images = nil, nil           // a release without artifacts is valid
	r3 := newRelease("r3", "webapp", "1.2.0", 5) // same time as r2: ID breaks the tie
	other := newRelease("o1", "api", "1.0.0", 9) // the same version in another pipeline is fine
	r1.Outputs = []byte(`{"version":1,"steps":[{"step":"stamp","outputs":[{"key":"sha","value":"abc"}]}]}`)
	for _, r := range []*state.Release{r1, r2, r3, other} {
		must(t, fmt.Sprintf("CreateRelease(%s %s)", r.Pipeline, r.Version), s.CreateRelease(ctx(t), r))
	}

	got, err := s.GetRelease(ctx(t), "r1")
	must(t, `GetRelease("r1")`, err)
	if d := cmp.Diff(r1, got, diffOpts...); d != "" {
		t.Errorf("GetRelease(%q) mismatch (-want +got):\n%s", "r1", d)
	}
	got, err = s.ReleaseByVersion(ctx(t), "api", "1.0.0")
	must(t, "ReleaseByVersion(api 1.0.0)", err)
	if d := cmp.Diff(other, got, diffOpts...); d != "" {
		t.Errorf("ReleaseByVersion(%q, %q) mismatch (-want +got):\n%s", "api", "1.0.0", d)
	}

	tests := []struct {
		pipeline string
		limit    int
		want     []*state.Release
	}{
		{"webapp", 0, []*state.Release{r3, r2, r1}},
		{"webapp", 2, []*state.Release{r3, r2}},
		{"api", 0, []*state.Release{other}},
		{"none", 0, nil},
	}
	for _, tt := range tests {
		got, err := s.ListReleases(ctx(t), tt.pipeline, tt.limit)
		must(t, "ListReleases", err)
		if d := cmp.Diff(tt.want, got, diffOpts...); d != "" {
			t.Errorf("ListReleases(%q, %d) mismatch (-want +got):\n%s", tt.pipeline, tt.limit, d)
		}
	}

	// The store assigns an ID and a creation time when they are missing.
	anon := newRelease("", "webapp", "2.0.0", 0)
	anon.CreatedAt = time.Time{}
	before := time.Now()
	must(t, "CreateRelease(empty id and time)", s.CreateRelease(ctx(t), anon))
	if anon.ID == "" || anon.CreatedAt.Before(before.Add(-time.Second)) {
		t.Fatalf("CreateRelease(empty id and time) set ID %q, CreatedAt %v; want an id and a time after %v", anon.ID, anon.CreatedAt, before)
	}
	got, err = s.GetRelease(ctx(t), anon.ID)
	must(t, "GetRelease(assigned id)", err)
	if !got.CreatedAt.Equal(anon.CreatedAt) {
		t.Errorf("GetRelease(%q).CreatedAt = %v; want %v", anon.ID, got.CreatedAt, anon.CreatedAt)
	}
}

func testDuplicateRelease(t *testing.T, s state.Store) {
	must(t, "CreateRelease(first)", s.CreateRelease(ctx(t), newRelease("r1", "webapp", "1.0.0", 0)))
	tests := []struct {
		name string
		r    *state.Release
	}{
		{"same pipeline and version", newRelease("r2", "webapp", "1.0.0", 1)},
		{"same pipeline and version, no id", newRelease("", "webapp", "1.0.0", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.CreateRelease(ctx(t), tt.r)
			if !errors.Is(err, state.ErrReleaseExists) {
				t.Fatalf("CreateRelease(%s %s) = %v; want an error wrapping ErrReleaseExists", tt.r.Pipeline, tt.r.Version, err)
			}
		})
	}
	// The first release is untouched: releases are immutable.
	got, err := s.ReleaseByVersion(ctx(t), "webapp", "1.0.0")
	must(t, "ReleaseByVersion", err)
	if got.ID != "r1" || len(got.Artifacts) != 2 || len(got.Images) != 1 {
		t.Errorf("ReleaseByVersion(webapp, 1.0.0) = id %q with %d artifacts and %d images; want r1 with 2 and 1",
			got.ID, len(got.Artifacts), len(got.Images))
	}
	// A failed CreateRelease leaves nothing behind: no orphan parts under its id.
	if _, err := s.GetRelease(ctx(t), "r2"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("GetRelease(%q) after refused create = %v; want ErrNotFound", "r2", err)
	}
}

func testConcurrentDuplicateRelease(t *testing.T, s state.Store) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.CreateRelease(ctx(t), newRelease(fmt.Sprintf("race-%d", i), "webapp", "9.9.9", i))
		})
	}
	wg.Wait()
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, state.ErrReleaseExists):
			t.Errorf("CreateRelease(race-%d) = %v; want nil or ErrReleaseExists", i, err)
		}
	}
	if created != 1 {
		t.Errorf("%d concurrent CreateRelease of one version created %d releases; want exactly 1", n, created)
	}
	all, err := s.ListReleases(ctx(t), "webapp", 0)
	must(t, "ListReleases", err)
	if len(all) != 1 {
		t.Errorf("ListReleases(webapp) = %d releases; want 1", len(all))
	}
}
