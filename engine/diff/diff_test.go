package diff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/internal/golden"
)

// corpus is the shared fixture directory: one sub-directory per case, with
// the config at base/ (absent: no base config) and head/, and the expected
// reports diff.txt, diff.md and diff.json. A case may instead name the
// directory of a side in its sides.json, relative to the case directory
// ({"base": "../changes/base"}), to compare a config another case holds, and
// may give its head as edits to the base files instead of a head directory
// ({"head_edits": [{"file": "pipeline.hcl", "old": "...", "new": "..."}]}).
var corpus = filepath.Join("..", "..", "testdata", "diff")

// caseSides is a corpus case's sides.json.
type caseSides struct {
	// Base and Head name the config directory of a side, relative to the
	// case directory; empty means the case's own base/ or head/.
	Base string `json:"base"`
	Head string `json:"head"`
	// HeadEdits, when set, make the head config from the base files; the
	// case then has no head directory.
	HeadEdits []headEdit `json:"head_edits"`
}

// headEdit replaces the one occurrence of Old in the base file File by New.
type headEdit struct {
	File string `json:"file"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// readSides reads a case's sides.json; a case without one has the zero
// caseSides. Unknown keys fail the test, so that a misspelt key is not
// silently ignored.
func readSides(t *testing.T, dir string) caseSides {
	t.Helper()
	var s caseSides
	name := filepath.Join(dir, "sides.json")
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return s
	}
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

// sideDir returns the config directory of one side of a corpus case, and
// false when the case has no config directory for that side.
func sideDir(dir, side string, s caseSides) (string, bool) {
	rel := s.Base
	if side == "head" {
		rel = s.Head
	}
	if rel != "" {
		return filepath.Join(dir, filepath.FromSlash(rel)), true
	}
	own := filepath.Join(dir, side)
	_, err := os.Stat(own)
	return own, err == nil
}

// applyEdits applies edits, in order, to files (file name to contents). It
// fails when an edit names a file not in files or when its old text does not
// occur exactly once, so that an edit cannot silently stop applying.
func applyEdits(files fstest.MapFS, edits []headEdit) error {
	for i, e := range edits {
		f, ok := files[e.File]
		if !ok {
			return fmt.Errorf("head_edits[%d] names %s, which the base does not have", i, e.File)
		}
		if n := strings.Count(string(f.Data), e.Old); e.Old == "" || n != 1 {
			return fmt.Errorf("head_edits[%d]: old text %q occurs %d times in %s; want exactly once", i, e.Old, n, e.File)
		}
		files[e.File] = &fstest.MapFile{Data: []byte(strings.Replace(string(f.Data), e.Old, e.New, 1)), Mode: f.Mode}
	}
	return nil
}

// editedHead returns the head of a case that gives head_edits: the files of
// the base directory with the edits applied, in memory.
func editedHead(t *testing.T, dir string, s caseSides) fs.FS {
	t.Helper()
	if s.Head != "" {
		t.Fatalf("%s: sides.json gives both head and head_edits", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "head")); err == nil {
		t.Fatalf("%s: has a head directory and head_edits in sides.json; keep one", dir)
	}
	baseDir, ok := sideDir(dir, "base", s)
	if !ok {
		t.Fatalf("%s: head_edits need a base config", dir)
	}
	files := fstest.MapFS{}
	entries, err := os.ReadDir(baseDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(baseDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = &fstest.MapFile{Data: b, Mode: 0o644}
	}
	if err := applyEdits(files, s.HeadEdits); err != nil {
		t.Fatalf("%s: sides.json %v", dir, err)
	}
	return files
}

// gitAt returns distinct git.* values per side, so that expressions reading
// git.* evaluate differently at base and head, as they do in real use.
func gitAt(side string) dsl.GitInfo {
	sha := strings.Repeat("1", 40)
	if side == "head" {
		sha = strings.Repeat("2", 40)
	}
	return dsl.GitInfo{SHA: sha, ShortSHA: sha[:7], Branch: side, Author: "dev@example.com", CommitCount: len(side), Known: true}
}

// environment is what env() sees while loading the corpus.
func environment(name string) (string, bool) {
	if name == "CHAT_WEBHOOK" {
		return "https://chat.example.com/hooks/SECRET-TOKEN", true
	}
	return "", false
}

// loadDir loads a corpus directory, failing the test on any error diagnostic.
func loadDir(t *testing.T, dir, side string) *dsl.Config {
	t.Helper()
	return loadFS(t, os.DirFS(dir), dir, side)
}

// loadFS loads the config in fsys, which is dir or stands for it, failing
// the test on any error diagnostic.
func loadFS(t *testing.T, fsys fs.FS, dir, side string) *dsl.Config {
	t.Helper()
	cfg, diags := dsl.NewParser().LoadDir(fsys, dsl.LoadOptions{
		Dir:            dir,
		FilenamePrefix: side + "/",
		Source:         dsl.Source{Ref: side},
		Git:            gitAt(side),
		Getenv:         environment,
	})
	if diags.HasErrors() {
		t.Fatalf("loading %s: %s", dir, diags.Error())
	}
	return cfg
}

func TestGolden(t *testing.T) {
	cases, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		dir := filepath.Join(corpus, c.Name())
		t.Run(c.Name(), func(t *testing.T) {
			sides := readSides(t, dir)
			var base *dsl.Config
			if baseDir, ok := sideDir(dir, "base", sides); ok {
				base = loadDir(t, baseDir, "base")
			}
			var head *dsl.Config
			if len(sides.HeadEdits) > 0 {
				head = loadFS(t, editedHead(t, dir, sides), filepath.Join(dir, "head"), "head")
			} else {
				headDir, ok := sideDir(dir, "head", sides)
				if !ok {
					t.Fatalf("%s has no head config", dir)
				}
				head = loadDir(t, headDir, "head")
			}
			r := Compare(base, head)
			for _, out := range []struct {
				file  string
				write func(*Report, *bytes.Buffer) error
			}{
				{"diff.txt", func(r *Report, b *bytes.Buffer) error { return r.WriteText(b) }},
				{"diff.md", func(r *Report, b *bytes.Buffer) error { return r.WriteMarkdown(b) }},
				{"diff.json", func(r *Report, b *bytes.Buffer) error { return r.WriteJSON(b) }},
			} {
				var got bytes.Buffer
				if err := out.write(r, &got); err != nil {
					t.Fatalf("writing %s: %v", out.file, err)
				}
				golden.Check(t, filepath.Join(dir, out.file), got.Bytes())
				if strings.Contains(got.String(), "SECRET-TOKEN") {
					t.Errorf("Compare(%s) %s shows the value of an environment variable read by env()", c.Name(), out.file)
				}
			}
			var decoded Report
			var js bytes.Buffer
			if err := r.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
				t.Fatalf("WriteJSON output is not JSON: %v", err)
			}
			if d := cmp.Diff(*r, decoded, cmpNilEmpty); d != "" {
				t.Errorf("WriteJSON does not round-trip (-report +decoded):\n%s", d)
			}
		})
	}
}

// cmpNilEmpty treats nil and empty slices alike.
var cmpNilEmpty = cmp.FilterValues(func(a, b any) bool {
	return isEmptySlice(a) && isEmptySlice(b)
}, cmp.Comparer(func(a, b any) bool { return true }))

func isEmptySlice(v any) bool {
	switch s := v.(type) {
	case []Change:
		return len(s) == 0
	case []Risk:
		return len(s) == 0
	}
	return false
}

// TestEveryRisk checks the risks corpus case reports every kind of risk
// diff knows, each on the object that carries it.
func TestEveryRisk(t *testing.T) {
	dir := filepath.Join(corpus, "risks")
	r := Compare(loadDir(t, filepath.Join(dir, "base"), "base"), loadDir(t, filepath.Join(dir, "head"), "head"))
	tests := []struct {
		name, object, severity, phrase string
	}{
		{"gate removed", "gate environment.production.security", High, "was removed"},
		{"author may approve", "gate environment.production.go-live", High, "lets the author"},
		{"group added to approvers", "gate environment.production.go-live", High, "every member of group sre (erin@example.com)"},
		{"person added to approvers", "gate environment.production.go-live", High, "mallory@example.com may now approve"},
		{"group gained members", "group release-managers", High, "gained eve@example.com"},
		{"self-approval allowed", "gate environment.production.go-live", High, "no longer prevents self-approval"},
		{"timeout shortened", "gate environment.production.go-live", Medium, "expires after 1h instead of 72h"},
		{"wait shortened", "gate environment.production.go-live", Medium, "for 5m instead of 30m"},
		{"branches widened", "stage environment.production", High, "release/*"},
		{"requires dropped", "stage environment.production", High, "no longer requires beta, internal"},
		{"secret exposed", "step environment.beta.rollout", High, "secret prod_token"},
		{"privileged", "step environment.beta.debug", High, "privileged"},
		{"host mount", "step environment.beta.debug", Medium, "/var/run/docker.sock"},
		{"local runner", "step test.lint.golangci", Medium, "directly on the host"},
		{"image without tag", "step environment.beta.debug", Medium, "busybox, which has no tag"},
		{"image latest", "step environment.internal.rollout", Medium, `moving tag "latest"`},
		{"default image unpinned", "pipeline", Medium, `moving tag "1.26"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range r.Risks {
				if k.Object == tt.object && k.Severity == tt.severity && strings.Contains(k.Message, tt.phrase) {
					return
				}
			}
			t.Errorf("Compare(risks).Risks has no %s risk on %q mentioning %q; got:\n%s", tt.severity, tt.object, tt.phrase, riskLines(r.Risks))
		})
	}
	if len(r.Risks) != len(tests) {
		t.Errorf("Compare(risks) found %d risks; want %d:\n%s", len(r.Risks), len(tests), riskLines(r.Risks))
	}
}

func riskLines(risks []Risk) string {
	var b strings.Builder
	for _, k := range risks {
		b.WriteString("  [" + k.Severity + "] " + k.Object + ": " + k.Message + "\n")
	}
	return b.String()
}

func TestCompareSymmetry(t *testing.T) {
	dir := filepath.Join(corpus, "changes")
	base := loadDir(t, filepath.Join(dir, "base"), "base")
	head := loadDir(t, filepath.Join(dir, "head"), "head")
	tests := []struct {
		name      string
		base      *dsl.Config
		head      *dsl.Config
		wantEmpty bool
		wantKinds map[string]bool
	}{
		{"same config", head, head, true, map[string]bool{}},
		{"nil base", nil, head, false, map[string]bool{Added: true}},
		{"nil head", base, nil, false, map[string]bool{Removed: true}},
		{"both nil", nil, nil, true, map[string]bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Compare(tt.base, tt.head)
			if r.Empty() != tt.wantEmpty {
				t.Errorf("Compare(%s).Empty() = %v; want %v", tt.name, r.Empty(), tt.wantEmpty)
			}
			kinds := map[string]bool{}
			for _, c := range r.Changes {
				kinds[c.Kind] = true
			}
			if !cmp.Equal(kinds, tt.wantKinds) {
				t.Errorf("Compare(%s) change kinds = %v; want %v", tt.name, kinds, tt.wantKinds)
			}
		})
	}
}

func TestUnpinned(t *testing.T) {
	digest := "@sha256:" + strings.Repeat("f", 64)
	tests := []struct {
		ref        string
		wantPinned bool
		wantPhrase string
	}{
		{"alpine", false, "no tag"},
		{"alpine:latest", false, `moving tag "latest"`},
		{"alpine:edge", false, `moving tag "edge": it follows a release channel`},
		{"node:lts-alpine", false, `moving tag "lts-alpine": it follows a release channel`},
		{"debian:stable-slim", false, `moving tag "stable-slim"`},
		{"ghcr.io/team/app:main", false, `moving tag "main"`},
		{"alpine:3", false, `moving tag "3": it names a version line`},
		{"alpine:3.20", false, `moving tag "3.20": it names a version line`},
		{"golang:1.26-alpine", false, `moving tag "1.26-alpine": it names a version line`},
		{"app:v2", false, `moving tag "v2"`},
		{"golang:1.26.3", false, "is not pinned by digest: the tag 1.26.3"},
		{"app:2f9c1ab", false, "is not pinned by digest: the tag 2f9c1ab"},
		{"registry.example.com:5000/team/app", false, "no tag"},
		{"registry.example.com:5000/team/app:1.2", false, `moving tag "1.2"`},
		{"registry.example.com:5000/team/app:1.2.0", false, "tag 1.2.0"},
		{"alpine" + digest, true, ""},
		{"alpine:3.20" + digest, true, ""},
	}
	for _, tt := range tests {
		got := unpinned(tt.ref)
		if (got == "") != tt.wantPinned || !strings.Contains(got, tt.wantPhrase) {
			t.Errorf("unpinned(%q) = %q; want pinned=%v mentioning %q", tt.ref, got, tt.wantPinned, tt.wantPhrase)
		}
	}
}

func TestReadsEnvironment(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{`env("TOKEN")`, true},
		{`"Bearer ${env("TOKEN")}"`, true},
		{`upper(env("X"))`, true},
		{`"./deploy.sh ${release.version}"`, false},
		{`getenv("X")`, false},
		{`"${my_env("X")} ${env("Y")}"`, true},
	}
	for _, tt := range tests {
		if got := readsEnvironment(tt.src); got != tt.want {
			t.Errorf("readsEnvironment(%q) = %v; want %v", tt.src, got, tt.want)
		}
	}
}

func TestMarkdownEscaping(t *testing.T) {
	r := &Report{Pipeline: "p", Base: "main", Head: "working tree", Changes: []Change{
		{Kind: Changed, Object: "step build.p.x", Field: "run", Old: "a | b", New: "echo `x` <b>&\nsecond"},
	}}
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	row := ""
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "| changed ") {
			row = l
		}
	}
	want := "| changed | `step build.p.x` | `run` | `a \\| b` | echo \\`x\\` &lt;b&gt;&amp;<br>second |"
	if row != want {
		t.Errorf("WriteMarkdown row = %q; want %q", row, want)
	}
}

// TestCompareUnloaded checks Compare on configs that were not returned by
// LoadDir (so nothing can be evaluated): it still compares the static parts
// and does not panic.
func TestCompareUnloaded(t *testing.T) {
	base := &dsl.Config{Pipeline: &dsl.Pipeline{Name: "p"}, Stages: []*dsl.Stage{{
		Kind: dsl.KindEnvironment, Name: "prod", Branches: []string{"main"},
		Gates: []*dsl.Gate{{Name: "ok", Approvers: []string{"a@example.com"}}},
		Steps: []*dsl.Step{{Name: "rollout", Retries: 1}},
	}}}
	head := &dsl.Config{Pipeline: &dsl.Pipeline{Name: "p"}, Stages: []*dsl.Stage{{
		Kind: dsl.KindEnvironment, Name: "prod",
		Steps: []*dsl.Step{{Name: "rollout", Retries: 2, Secrets: []string{"token"}}, {Name: "new"}},
	}}}
	r := Compare(base, head)
	want := &Report{Pipeline: "p", Base: "working tree", Head: "working tree",
		Changes: []Change{
			{Kind: Changed, Object: "stage environment.prod", Field: "branches", Old: "main", New: "(any branch)"},
			{Kind: Removed, Object: "gate environment.prod.ok", Old: "approvers a@example.com"},
			{Kind: Added, Object: "step environment.prod.new"},
			{Kind: Changed, Object: "step environment.prod.rollout", Field: "retries", Old: "1", New: "2"},
			{Kind: Changed, Object: "step environment.prod.rollout", Field: "secrets", Old: "(none)", New: "token"},
		},
		Risks: []Risk{
			{Severity: High, Object: "stage environment.prod", Message: "Environment prod no longer restricts branches (it allowed only main): a release built from any branch can now be deployed to prod."},
			{Severity: High, Object: "gate environment.prod.ok", Message: `Gate "ok" was removed from environment prod: deployments to prod no longer wait for a person to approve them.`},
			{Severity: High, Object: "step environment.prod.rollout", Message: "Step environment.prod.rollout can now read secret token: whatever the step runs can use or leak it."},
		},
	}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("Compare(unloaded configs) mismatch (-want +got):\n%s", d)
	}
}

// TestWhenReadsGit checks that a step condition reading git.*, unchanged in
// the config, is not reported as changed because base and head were loaded
// from different branches.
func TestWhenReadsGit(t *testing.T) {
	load := func(src string, git dsl.GitInfo) *dsl.Config {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := dsl.NewParser().LoadDir(os.DirFS(dir), dsl.LoadOptions{Dir: dir, Git: git})
		if diags.HasErrors() {
			t.Fatalf("loading %s: %s", dir, diags.Error())
		}
		return cfg
	}
	const config = `pipeline "p" {
  image = "alpine:3.20@sha256:%s"
}

build "p" {
  step "publish" {
    run  = "make publish"
    when = %s
  }
}
`
	digest := strings.Repeat("a", 64)
	onMain := dsl.GitInfo{SHA: strings.Repeat("1", 40), ShortSHA: "1111111", Branch: "main", Known: true}
	onTopic := dsl.GitInfo{SHA: strings.Repeat("2", 40), ShortSHA: "2222222", Branch: "topic", Known: true}
	tests := []struct {
		name               string
		baseWhen, headWhen string
		want               []Change
	}{
		{"same source reading git", `git.branch == "main"`, `git.branch == "main"`, []Change{}},
		{"condition changed, same value", `git.branch == "main"`, `git.branch != "topic"`, []Change{
			{Kind: Changed, Object: "step build.p.publish", Field: "when", Old: `git.branch == "main"`, New: `git.branch != "topic"`},
		}},
		{"condition added", `true`, `git.branch == "main"`, []Change{
			{Kind: Changed, Object: "step build.p.publish", Field: "when", Old: "true", New: `git.branch == "main"`},
		}},
		{"condition without git", `1 < 2`, `1 > 2`, []Change{
			{Kind: Changed, Object: "step build.p.publish", Field: "when", Old: "true", New: "false"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := load(fmt.Sprintf(config, digest, tt.baseWhen), onMain)
			head := load(fmt.Sprintf(config, digest, tt.headWhen), onTopic)
			r := Compare(base, head)
			if d := cmp.Diff(tt.want, r.Changes, cmpNilEmpty); d != "" {
				t.Errorf("Compare(when = %s -> %s).Changes mismatch (-want +got):\n%s", tt.baseWhen, tt.headWhen, d)
			}
		})
	}
}

func TestApplyEdits(t *testing.T) {
	tests := []struct {
		name    string
		edits   []headEdit
		want    string
		wantErr bool
	}{
		{"one edit", []headEdit{{"pipeline.hcl", "b", "B"}}, "aBc a", false},
		{"edits apply in order", []headEdit{{"pipeline.hcl", "b", "B"}, {"pipeline.hcl", "Bc", "x"}}, "ax a", false},
		{"old occurs twice", []headEdit{{"pipeline.hcl", "a", "A"}}, "", true},
		{"old missing", []headEdit{{"pipeline.hcl", "z", "Z"}}, "", true},
		{"old empty", []headEdit{{"pipeline.hcl", "", "Z"}}, "", true},
		{"file missing", []headEdit{{"other.pipeline.hcl", "b", "B"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := fstest.MapFS{"pipeline.hcl": {Data: []byte("abc a")}}
			err := applyEdits(files, tt.edits)
			if (err != nil) != tt.wantErr {
				t.Fatalf("applyEdits(%v) error = %v; want error %v", tt.edits, err, tt.wantErr)
			}
			if err == nil && string(files["pipeline.hcl"].Data) != tt.want {
				t.Errorf("applyEdits(%v) = %q; want %q", tt.edits, files["pipeline.hcl"].Data, tt.want)
			}
		})
	}
}

// TestComparePaths reports a change of pipeline.paths, which changes the
// commits a deployment lists.
func TestComparePaths(t *testing.T) {
	base := &dsl.Config{Pipeline: &dsl.Pipeline{Name: "p", Paths: []string{"../shared"}}}
	head := &dsl.Config{Pipeline: &dsl.Pipeline{Name: "p", Paths: []string{"../shared", "../proto"}}}
	r := Compare(base, head)
	want := []Change{{Kind: Changed, Object: "pipeline", Field: "paths", Old: "../shared", New: "../shared, ../proto"}}
	if d := cmp.Diff(want, r.Changes); d != "" {
		t.Errorf("Compare(paths changed) changes mismatch (-want +got):\n%s", d)
	}
}
