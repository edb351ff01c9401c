package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2/hclsimple"

	"github.com/pipeline-cd/pipeline/engine/state/sqlite"
	"github.com/pipeline-cd/pipeline/internal/clitest"
	"github.com/pipeline-cd/pipeline/internal/gittest"
	"github.com/pipeline-cd/pipeline/internal/testenv"
)

// hostileDir holds the attack corpus: one directory per case, see
// testdata/hostile/README.md.
const hostileDir = "../../testdata/hostile"

// hostileCommandTimeout bounds every command of the suite: a loader that
// blocks on a FIFO or recurses without end fails the case instead of
// hanging the suite.
const hostileCommandTimeout = 90 * time.Second

// expectation is a case's expect.hcl.
type expectation struct {
	Description string `hcl:"description"`
	// Pending names the protection, owned by another change, that the
	// case needs; while it is set a failing case is skipped with the
	// reason instead of failing.
	Pending string `hcl:"pending,optional"`
	// Links are symbolic links committed on the branch: name -> target.
	Links map[string]string `hcl:"links,optional"`
	// Fifos are made in the working tree after the commit (git cannot
	// commit a FIFO).
	Fifos []string `hcl:"fifos,optional"`
	// Generate writes large files on the branch: name -> "nesting:N" (N
	// nested parentheses in a local) or "size:N" (a comment of N bytes).
	Generate map[string]string `hcl:"generate,optional"`
	// Env is added to every command's environment.
	Env map[string]string `hcl:"env,optional"`
	// Args are added to plan, run --dry-run and run.
	Args []string `hcl:"args,optional"`
	// Detached checks the branch's commit out detached (as CI does).
	Detached bool `hcl:"detached,optional"`
	// Exit codes of each command; a command whose code is not given is
	// not run.
	Validate  *int `hcl:"validate,optional"`
	Plan      *int `hcl:"plan,optional"`
	Diff      *int `hcl:"diff,optional"`
	DryRun    *int `hcl:"dry_run,optional"`
	RunDocker *int `hcl:"run_docker,optional"`
	RunLocal  *int `hcl:"run_local,optional"`
	// Output lists texts that must appear in the output of some command
	// (a diagnostic's summary, a refusal), so a case cannot pass by
	// failing for an unrelated reason.
	Output []string `hcl:"output,optional"`
	// DefaultState runs every command with the default state location
	// (.pipeline/ in the repository) instead of one outside it.
	DefaultState bool `hcl:"default_state,optional"`
	// Absent lists paths (placeholders allowed) that must not exist after
	// the commands, besides {{owned}}.
	Absent []string `hcl:"absent,optional"`
	// ForbiddenEnvironments must have no successful deployment in any
	// store.
	ForbiddenEnvironments []string `hcl:"forbidden_environments,optional"`
}

// planted holds the markers a case must never reveal.
type planted struct {
	base     string // temporary directory holding host/ and repo/
	repo     string
	hostDir  string
	hostFile string
	marker   string // contents of the host file
	secret   string // value of PROD_TOKEN
	owned    string // a file the attack would create on the host
}

func randomMarker(t *testing.T, prefix string) string {
	b := make([]byte, 9)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	// Mixed case and digits, so that lower(), upper() and encodings all
	// differ from the value itself.
	return prefix + base64.RawURLEncoding.EncodeToString(b) + "Qz9"
}

func (p *planted) expand(s string) string {
	rel, _ := filepath.Rel(p.repo, p.hostDir)
	return strings.NewReplacer(
		"{{host_file}}", p.hostFile,
		"{{host_dir}}", p.hostDir,
		"{{host_rel}}", filepath.ToSlash(rel),
		"{{secret}}", p.secret,
		"{{owned}}", p.owned,
		"{{image}}", testenv.TestImage,
	).Replace(s)
}

// secretForms are the forms of the secret no output or store may hold:
// the value, reversed, in hex and in base64 at each of the three
// alignments it can take inside a longer encoded string.
func secretForms(s string) []string {
	rev := []rune(s)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	forms := []string{s, string(rev), hex.EncodeToString([]byte(s))}
	for pad := 0; pad < 3; pad++ {
		enc := base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte{':'}, pad), s...))
		// Drop the characters that depend on the bytes around the value.
		skip := (pad*8 + 5) / 6
		core := strings.TrimRight(enc, "=")
		if len(core) > skip+2 {
			forms = append(forms, core[skip:len(core)-2])
		}
	}
	return forms
}

func TestHostileBranches(t *testing.T) {
	entries, err := os.ReadDir(hostileDir)
	if err != nil {
		t.Fatal(err)
	}
	mainFiles := readTree(t, filepath.Join(hostileDir, "_main"))
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), "_") {
			names = append(names, e.Name())
		}
	}
	if len(names) < 15 {
		t.Fatalf("the hostile corpus has %d cases; want at least 15", len(names))
	}
	testenv.RequireTestImage(t)
	clitest.Binary(t)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runHostileCase(t, name, mainFiles)
		})
	}
}

func runHostileCase(t *testing.T, name string, mainFiles map[string]string) {
	dir := filepath.Join(hostileDir, name)
	var exp expectation
	if err := hclsimple.DecodeFile(filepath.Join(dir, "expect.hcl"), nil, &exp); err != nil {
		t.Fatalf("expect.hcl: %v", err)
	}
	p := plant(t)
	c := &hostileCase{t: t, p: p, exp: exp}

	// main: the trusted ref.
	gittest.InitIn(t, p.repo)
	files := map[string]string{".gitignore": ".pipeline/\ndist/\n"}
	for n, b := range mainFiles {
		files[n] = p.expand(b)
	}
	if own := readTree(t, filepath.Join(dir, "main")); len(own) > 0 {
		files = map[string]string{".gitignore": ".pipeline/\ndist/\n"}
		for n, b := range own {
			files[n] = p.expand(b)
		}
	}
	gittest.Commit(t, p.repo, "trusted config", files)

	// The attack, committed on a feature branch.
	gittest.Git(t, p.repo, "checkout", "-q", "-b", "feature")
	branch := map[string]string{}
	for n, b := range readTree(t, filepath.Join(dir, "branch")) {
		branch[n] = p.expand(b)
	}
	gittest.Write(t, p.repo, branch)
	for n, target := range exp.Links {
		full := filepath.Join(p.repo, filepath.FromSlash(n))
		must(t, os.MkdirAll(filepath.Dir(full), 0o755))
		_ = os.Remove(full)
		must(t, os.Symlink(p.expand(target), full))
	}
	for n, spec := range exp.Generate {
		must(t, os.WriteFile(filepath.Join(p.repo, filepath.FromSlash(n)), generate(t, spec), 0o644))
	}
	gittest.Git(t, p.repo, "add", "-A")
	gittest.Git(t, p.repo, "commit", "-q", "--allow-empty", "-m", "feature: "+name)
	if exp.Detached {
		gittest.Git(t, p.repo, "checkout", "-q", "--detach")
	}
	for _, n := range exp.Fifos {
		full := filepath.Join(p.repo, filepath.FromSlash(n))
		_ = os.Remove(full)
		must(t, syscall.Mkfifo(full, 0o644))
	}

	stateDocker := filepath.Join(p.base, "state-docker")
	stateLocal := filepath.Join(p.base, "state-local")
	args := func(a ...string) []string { return append(a, c.expandAll(exp.Args)...) }
	c.command("validate", exp.Validate, nil, "validate")
	c.command("plan", exp.Plan, nil, args("plan")...)
	c.command("diff", exp.Diff, nil, "diff", "--base", "main", "--format", "markdown")
	c.command("run --dry-run", exp.DryRun, nil, args("run", "--dry-run", "--plain")...)
	c.command("run (docker)", exp.RunDocker, []string{"PIPELINE_STATE=sqlite:" + filepath.Join(stateDocker, "state.db")}, args("run", "--plain")...)
	c.command("run --runner local", exp.RunLocal, []string{"PIPELINE_STATE=sqlite:" + filepath.Join(stateLocal, "state.db")},
		args("run", "--plain", "--runner", "local")...)

	for _, want := range exp.Output {
		if !strings.Contains(c.all.String(), p.expand(want)) {
			c.failf("no command printed %q", want)
		}
	}
	for _, f := range append([]string{p.owned}, c.expandAll(exp.Absent)...) {
		if _, err := os.Lstat(f); err == nil {
			c.failf("the attack created %s on the host", f)
		}
	}
	for _, d := range []string{stateDocker, stateLocal, filepath.Join(p.repo, ".pipeline")} {
		c.scanDir(d)
		c.scanStore(filepath.Join(d, "state.db"))
	}
	c.finish()
}

// hostileCase collects the failures of one case, so that a pending case
// can report them all as the reason it is skipped.
type hostileCase struct {
	t        *testing.T
	p        *planted
	exp      expectation
	all      bytes.Buffer // every command's output
	failures []string
}

func (c *hostileCase) failf(format string, args ...any) {
	c.failures = append(c.failures, fmt.Sprintf(format, args...))
}

func (c *hostileCase) finish() {
	t := c.t
	if c.exp.Pending != "" {
		if len(c.failures) == 0 {
			t.Skipf("pending %q, but every check passes now: remove pending from expect.hcl", c.exp.Pending)
		}
		t.Skipf("pending %q: %d check(s) fail until it is merged:\n  %s", c.exp.Pending, len(c.failures), strings.Join(c.failures, "\n  "))
	}
	for _, f := range c.failures {
		t.Error(f)
	}
	if len(c.failures) > 0 {
		t.Logf("every command's output:\n%s", indent(c.all.String()))
	}
}

func (c *hostileCase) expandAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = c.p.expand(s)
	}
	return out
}

// command runs the binary in the repository with the planted secret in
// its environment and checks its exit code and output.
func (c *hostileCase) command(label string, want *int, env []string, args ...string) {
	if want == nil {
		return
	}
	p := c.p
	ctx, cancel := context.WithTimeout(context.Background(), hostileCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, clitest.Binary(c.t), args...)
	cmd.Dir = p.repo
	cmd.Env = []string{"HOME=" + p.base, "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "NO_COLOR=1",
		"PROD_TOKEN=" + p.secret, "PIPELINE_STATE=sqlite:" + filepath.Join(p.base, "state-default", "state.db")}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		cmd.Env = append(cmd.Env, "DOCKER_HOST="+h)
	}
	keys := make([]string, 0, len(c.exp.Env))
	for k := range c.exp.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+p.expand(c.exp.Env[k]))
	}
	if !c.exp.DefaultState {
		cmd.Env = append(cmd.Env, env...)
	} else {
		cmd.Env = append(cmd.Env, "PIPELINE_STATE=")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ctx.Err() != nil {
		c.failf("%s: did not finish within %s", label, hostileCommandTimeout)
		return
	}
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("%s: %v", label, err)
	}
	out := stdout.String() + stderr.String()
	fmt.Fprintf(&c.all, "== %s (exit %d)\n%s\n", label, code, out)
	if code != *want {
		c.failf("%s exited %d; want %d\n%s", label, code, *want, indent(out))
	}
	if strings.Contains(out, "goroutine ") || strings.Contains(out, "panic:") {
		c.failf("%s shows a Go panic:\n%s", label, indent(out))
	}
	c.scan(label+" output", []byte(out))
}

func indent(s string) string {
	if len(s) > 6000 {
		s = s[:6000] + "..."
	}
	return "    | " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    | ")
}

// scan fails the case when b holds the host file's marker or any form of
// the planted secret.
func (c *hostileCase) scan(where string, b []byte) {
	if bytes.Contains(b, []byte(c.p.marker)) {
		c.failf("%s holds the planted host file's contents", where)
	}
	for _, f := range secretForms(c.p.secret) {
		if bytes.Contains(b, []byte(f)) {
			c.failf("%s holds the planted secret (form %q)", where, f)
			break
		}
	}
}

// scanDir scans every file below d: the SQLite file and its WAL, the
// artifact store, temporary files.
func (c *hostileCase) scanDir(d string) {
	_ = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil {
			c.scan(p, b)
		}
		return nil
	})
}

// scanStore reads every row of every table of the SQLite store at path
// and checks the forbidden environments.
func (c *hostileCase) scanStore(path string) {
	if _, err := os.Stat(path); err != nil {
		return
	}
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		c.failf("opening %s: %v", path, err)
		return
	}
	defer db.Close()
	tables, err := queryStrings(db, "SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		c.failf("listing the tables of %s: %v", path, err)
		return
	}
	if len(tables) == 0 {
		c.failf("%s has no tables", path)
	}
	for _, tbl := range tables {
		rows, err := db.Query(`SELECT * FROM "` + tbl + `"`)
		if err != nil {
			c.failf("reading table %s: %v", tbl, err)
			continue
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				c.failf("reading table %s: %v", tbl, err)
				break
			}
			for i, v := range vals {
				c.scan(fmt.Sprintf("store %s table %s column %s", filepath.Base(filepath.Dir(path)), tbl, cols[i]), []byte(fmt.Sprint(v)))
				if b, ok := v.([]byte); ok {
					c.scan(fmt.Sprintf("store table %s column %s", tbl, cols[i]), b)
				}
			}
		}
		rows.Close()
	}
	for _, env := range c.exp.ForbiddenEnvironments {
		n, err := queryStrings(db, "SELECT status FROM deployments WHERE environment = ? AND status = 'succeeded'", env)
		if err != nil {
			c.failf("reading deployments: %v", err)
		} else if len(n) > 0 {
			c.failf("environment %s, which this branch must not reach, was deployed (%s)", env, path)
		}
	}
}

func queryStrings(db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// plant makes the host directory with a marked file, outside the
// repository, and the secret.
func plant(t *testing.T) *planted {
	base, err := filepath.EvalSymlinks(t.TempDir())
	must(t, err)
	p := &planted{base: base, repo: filepath.Join(base, "repo"), hostDir: filepath.Join(base, "host"),
		marker: randomMarker(t, "HOSTFILE"), secret: randomMarker(t, "SeCrEt")}
	p.hostFile = filepath.Join(p.hostDir, "secret.txt")
	p.owned = filepath.Join(p.hostDir, "owned")
	must(t, os.MkdirAll(p.repo, 0o755))
	must(t, os.MkdirAll(p.hostDir, 0o755))
	// A file that parses as HCL up to the marker, so that a parser that
	// read it would quote the marker in a diagnostic.
	must(t, os.WriteFile(p.hostFile, []byte("pipeline \"host\" {\n  description = \"x\"\n}\n"+p.marker+" = oops\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(p.hostDir, "Dockerfile"), []byte("FROM scratch\n# "+p.marker+"\n"), 0o644))
	return p
}

func generate(t *testing.T, spec string) []byte {
	kind, n, _ := strings.Cut(spec, ":")
	var size int
	if _, err := fmt.Sscan(n, &size); err != nil {
		t.Fatalf("generate %q: %v", spec, err)
	}
	switch kind {
	case "nesting":
		return []byte("locals {\n  x = " + strings.Repeat("(", size) + "1" + strings.Repeat(")", size) + "\n}\n")
	case "size":
		return []byte("# " + strings.Repeat("x", size) + "\n")
	}
	t.Fatalf("generate %q: unknown kind %q", spec, kind)
	return nil
}

// readTree reads every file below dir: slash path -> contents. A missing
// dir is empty.
func readTree(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		must(t, err)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
