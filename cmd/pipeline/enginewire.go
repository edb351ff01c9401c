package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/dsl/gitsrc"
	"github.com/pipeline-cd/pipeline/dsl/loader"
	"github.com/pipeline-cd/pipeline/engine"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/backend"
	"github.com/pipeline-cd/pipeline/engine/ui"
	"github.com/pipeline-cd/pipeline/internal/hostid"
	"github.com/pipeline-cd/pipeline/runners"
	"github.com/pipeline-cd/pipeline/runners/docker"
	"github.com/pipeline-cd/pipeline/runners/local"
)

// runnerFlags are the flags of commands that execute steps.
type runnerFlags struct {
	runner          string
	allowPrivileged bool
	plain           bool
	wait            bool
	waitLock        time.Duration
	trustedRef      string
	logLimit        string
}

func (r *runnerFlags) addFlags(f interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
	DurationVar(*time.Duration, string, time.Duration, string)
}) {
	f.StringVar(&r.runner, "runner", "docker", "default runner for steps that name none: docker or local")
	f.BoolVar(&r.allowPrivileged, "allow-privileged", false, "let steps ask for privileged mode, host mounts and the Docker socket (refused when planning otherwise)")
	f.BoolVar(&r.plain, "plain", false, "plain line-by-line output even in a terminal")
	f.BoolVar(&r.wait, "wait", false, "wait at gates for a decision instead of exiting with code 3")
	f.DurationVar(&r.waitLock, "wait-lock", 0, "how long to wait for an environment locked by another deployment (0: fail at once)")
	f.StringVar(&r.logLimit, "log-limit", logLimitDefault(), "store at most `SIZE` of each step attempt's log (e.g. 64MiB, 512KiB; 0: no limit): the head and the tail are kept, with a line saying what was cut (default $PIPELINE_LOG_LIMIT, else 64MiB)")
	f.StringVar(&r.trustedRef, "trusted-ref", "", "git ref to read protection rules (gates, branches, requires) from (default: the repository's default branch; when there is none, or the config there does not load, environments are refused)")
}

// validRunners are the values --runner accepts.
var validRunners = []string{"docker", "local"}

// validate checks the flag values; a bad one is a usage error naming the
// flag and the values it accepts, returned before anything is recorded.
func (r *runnerFlags) validate() error {
	if !slices.Contains(validRunners, r.runner) {
		return &usageError{fmt.Errorf("--runner %q is not a runner; use --runner %s", r.runner, strings.Join(validRunners, " or --runner "))}
	}
	if _, err := parseSize(r.logLimit); err != nil && r.logLimit != "" {
		return &usageError{fmt.Errorf("--log-limit %q: %w", r.logLimit, err)}
	}
	if r.waitLock < 0 {
		return &usageError{fmt.Errorf("--wait-lock %s is negative; pass 0 to fail at once when the environment is locked, or how long to wait (e.g. 5m)", r.waitLock)}
	}
	return nil
}

// stateLocation returns the state URL and the artifact directory for the
// pipeline in dir: --artifacts or $PIPELINE_ARTIFACTS when set, else
// artifacts/ beside a SQLite state file, else the default .pipeline/artifacts.
func (g *globals) stateLocation() (url, artifacts string, err error) {
	abs, err := filepath.Abs(g.dir)
	if err != nil {
		return "", "", &usageError{fmt.Errorf("resolving -C %s: %w", g.dir, err)}
	}
	root, rerr := gitsrc.RepoRoot(abs)
	if rerr != nil {
		root = ""
	}
	def := engine.DefaultStatePath(root, abs)
	url = g.stateURL
	if url == "" {
		url = os.Getenv("PIPELINE_STATE")
	}
	if url == "" {
		url = "sqlite:" + def
	}
	artifacts = engine.DefaultArtifactDir(def)
	if p, ok := strings.CutPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:"); ok || !strings.Contains(url, ":") {
		if !ok {
			p = url
		}
		artifacts = engine.DefaultArtifactDir(p)
	}
	if dir, err := g.artifactsOverride(); err != nil || dir != "" {
		return url, dir, err
	}
	return url, artifacts, nil
}

// errNoStore is wrapped by the error of a command that only reads or
// decides on recorded state when its SQLite file does not exist.
var errNoStore = errors.New("no state store")

// sqliteFile returns the file a SQLite state URL names (sqlite:PATH,
// sqlite://PATH or a bare PATH, as backend.Open reads them); ok is false for
// PostgreSQL and memory: URLs.
func sqliteFile(url string) (path string, ok bool) {
	if p, found := strings.CutPrefix(url, "sqlite://"); found {
		return p, true
	}
	if p, found := strings.CutPrefix(url, "sqlite:"); found {
		return p, true
	}
	if strings.Contains(url, "://") || strings.HasPrefix(url, "memory:") {
		return "", false
	}
	return url, true
}

// existingStore opens the SQLite state store when its file exists, for a
// dry run's reads; nil when there is none, it is not SQLite, or it does not
// open (logged).
func (g *globals) existingStore(ctx context.Context, logger hclog.Logger) state.Store {
	url, _, err := g.stateLocation()
	if err != nil {
		return nil
	}
	p, ok := sqliteFile(url)
	if !ok || p == "" {
		return nil
	}
	if _, err := os.Stat(p); err != nil {
		return nil
	}
	st, err := backend.Open(ctx, url, logger)
	if err != nil {
		logger.Warn("the dry run does not read the state store", "store", p, "error", err)
		return nil
	}
	return st
}

// checkStoreExists returns a usage error naming the file and the fix when
// url is a SQLite store whose file does not exist: commands that only read
// or decide on recorded state must not create an empty one.
func checkStoreExists(url string) error {
	p, ok := sqliteFile(url)
	if !ok || p == "" {
		return nil
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return &usageError{fmt.Errorf("%w at %s: nothing has been recorded there; run `pipeline run` first (it creates the store), "+
		"or pass --state / set PIPELINE_STATE to the store your runs use", errNoStore, p)}
}

// stateGitignore is the .gitignore written into a new default state
// directory: it keeps the state database and artifacts out of git status.
const stateGitignore = "*\n"

// createStateDir creates the default state directory dir (.pipeline) when
// it does not exist yet, with a .gitignore that ignores everything in it.
// An existing directory, and an existing .gitignore, are left as they are.
func createStateDir(dir string) error {
	if _, err := os.Stat(dir); err == nil || !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ".gitignore"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating the state directory: %w", err)
	}
	_, werr := f.WriteString(stateGitignore)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("writing %s: %w", f.Name(), werr)
	}
	return nil
}

// logger returns the CLI's logger: warnings to stderr, everything with -v.
func (g *globals) logger() hclog.Logger {
	level := hclog.Warn
	if g.verbose {
		level = hclog.Debug
	}
	return hclog.New(&hclog.LoggerOptions{Name: "pipeline", Output: g.stderr, Level: level, Color: hclog.ColorOff})
}

// wiring is what a command needs from the engine.
type wiring struct {
	res     *loader.Result // nil for commands that need no config
	flags   *runnerFlags   // nil for commands that run no steps
	noStore bool           // dry run: never create or change the state store
	// readStore, with noStore, opens the SQLite state store when its file
	// exists (a dry run: the release version a run would create must be
	// new); a store that is missing or does not open is left out.
	readStore bool
	// existing is set by commands that only read or decide on recorded
	// state (queries, serve, approve, reject, resume): a missing SQLite
	// file is an error instead of a new, empty store.
	existing bool
	// dockerOptional goes on without the Docker runner when no engine
	// answers (gc still cleans the artifact store).
	dockerOptional bool
	// storeless opens the runners and the artifact directory but neither
	// opens nor creates the state store or any directory: gc when the
	// SQLite store does not exist.
	storeless bool
}

// openEngine opens the state store and the runners and returns the engine
// and a function that closes them. When the run needs Docker and no
// engine answers, it fails before anything is recorded.
func (g *globals) openEngine(ctx context.Context, w wiring) (*engine.Engine, func(), error) {
	if w.flags != nil {
		if err := w.flags.validate(); err != nil {
			return nil, nil, err
		}
	}
	logger := g.logger()
	opts := engine.Options{Logger: logger, Output: g.sink(w.flags), Runners: map[string]runners.Runner{}}
	closers := []func(){}
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if !w.noStore {
		url, artifacts, err := g.stateLocation()
		if err != nil {
			return nil, nil, err
		}
		if w.existing {
			if err := checkStoreExists(url); err != nil {
				return nil, nil, err
			}
		}
		if w.storeless {
			opts.ArtifactDir = artifacts
		} else {
			st, err := g.openStore(ctx, url, artifacts, w, logger)
			if err != nil {
				return nil, nil, err
			}
			closers = append(closers, func() { _ = st.Close() })
			opts.Store, opts.ArtifactDir = st, artifacts
		}
	}
	if w.noStore && w.readStore {
		if st := g.existingStore(ctx, logger); st != nil {
			closers = append(closers, func() { _ = st.Close() })
			opts.Store = st
		}
	}
	if w.flags != nil {
		opts.Actor = g.actor()
		opts.DefaultRunner = w.flags.runner
		opts.AllowPrivileged = w.flags.allowPrivileged
		if n, err := parseSize(w.flags.logLimit); err == nil && n == 0 {
			opts.LogLimit = -1 // --log-limit 0: no limit
		} else {
			opts.LogLimit = n // 0 when unset (gc): the default
		}
		opts.Runners["local"] = local.New(local.Options{AllowPrivileged: w.flags.allowPrivileged}, logger)
		if needsDocker(w.res, w.flags.runner) && !w.noStore {
			cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
			if err == nil {
				closers = append(closers, func() { _ = cli.Close() })
				dr := docker.New(cli, docker.Options{AllowPrivileged: w.flags.allowPrivileged, HostID: g.hostID(logger)}, logger)
				pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err = dr.Ping(pctx)
				cancel()
				opts.Runners["docker"], opts.Images, opts.Volumes = dr, cli, cli
			}
			if err != nil && w.dockerOptional {
				g.dockerDown = err
				delete(opts.Runners, "docker")
				opts.Images, opts.Volumes, err = nil, nil, nil
			}
			if err != nil {
				closeAll()
				return nil, nil, fmt.Errorf("%w\nThis run needs Docker (steps without runner = \"local\", or image blocks); start dockerd, fix DOCKER_HOST, or pass --runner local", err)
			}
		}
	}
	if opts.ArtifactDir != "" {
		opts.HostID = g.hostID(logger)
	}
	return engine.New(opts), closeAll, nil
}

// hostID returns this process's host identity (internal/hostid), which
// labels its containers and names its temporary artifact files so that
// cleanup touches only what this host made. A generated one lives in the
// default state directory (.pipeline at the repository root), which is
// never shared between machines the way --state and --artifacts may be.
func (g *globals) hostID(logger hclog.Logger) string {
	dir := ""
	if abs, err := filepath.Abs(g.dir); err == nil {
		root, rerr := gitsrc.RepoRoot(abs)
		if rerr != nil {
			root = ""
		}
		dir = filepath.Dir(engine.DefaultStatePath(root, abs))
	}
	id, err := hostid.Get(dir)
	if err != nil {
		logger.Warn("host identity", "id", id, "error", err)
	}
	return id
}

// openStore creates the default state directory (and, for commands that
// run steps, the artifact directory's parent) and opens the store at url.
func (g *globals) openStore(ctx context.Context, url, artifacts string, w wiring, logger hclog.Logger) (state.Store, error) {
	if g.stateURL == "" && os.Getenv("PIPELINE_STATE") == "" {
		if err := createStateDir(filepath.Dir(strings.TrimPrefix(url, "sqlite:"))); err != nil {
			return nil, err
		}
	}
	if w.flags != nil {
		// Commands that run steps may store artifacts.
		if err := createArtifactParent(artifacts); err != nil {
			return nil, err
		}
	}
	st, err := backend.Open(ctx, url, logger)
	if err != nil {
		if errors.Is(err, backend.ErrBadURL) {
			return nil, &usageError{err}
		}
		return nil, fmt.Errorf("opening the state store: %w", err)
	}
	return st, nil
}

// needsDocker reports whether any step of the config runs in Docker with
// the given default runner, or the config builds images.
func needsDocker(res *loader.Result, def string) bool {
	if res == nil || res.Config == nil {
		return def == "docker"
	}
	for _, s := range res.Config.Stages {
		if len(s.Images) > 0 {
			return true
		}
		for _, st := range s.Steps {
			r := st.Runner
			if r == "" {
				r = def
			}
			if r == "docker" {
				return true
			}
		}
	}
	return false
}

// sink picks the progress output: the live view in a terminal, plain
// lines in CI, pipes or with --plain.
func (g *globals) sink(f *runnerFlags) ui.Sink {
	if f == nil {
		return ui.Discard
	}
	if file, ok := g.stdout.(*os.File); ok {
		return ui.Auto(file, f.plain)
	}
	return ui.NewPlain(g.stdout)
}

// signalContext returns a context cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// renderEngineError prints config diagnostics carried by an engine error
// and returns the error to exit with.
func (g *globals) renderEngineError(err error) error {
	var ce *engine.ConfigError
	if errors.As(err, &ce) {
		if werr := g.writeDiagnostics(ce.Files, ce.Diags); werr != nil {
			return werr
		}
		return exitWith(exitUsage)
	}
	return err
}

// identity returns who approves: --as, else PIPELINE_USER, else git's
// user.email.
func (g *globals) identity(as string) string {
	if as != "" {
		return as
	}
	if u := os.Getenv("PIPELINE_USER"); u != "" {
		return u
	}
	abs, _ := filepath.Abs(g.dir)
	if root, err := gitsrc.RepoRoot(abs); err == nil {
		return gitsrc.UserEmail(root)
	}
	return ""
}

// actor returns who deploys and rolls back, for the audit trail: the
// identity approve uses ($PIPELINE_USER, else git config user.email),
// else USER@HOST as the last resort.
func (g *globals) actor() string {
	if id := g.identity(""); id != "" {
		return id
	}
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// pipelineName loads the config quietly and returns its pipeline name, or
// "" when it does not load (then queries cover every pipeline).
func (g *globals) pipelineName() string {
	if res, ok := g.quietConfig(); ok {
		return res.Config.Pipeline.Name
	}
	return ""
}

func varArgsOf(g *globals) []dsl.VarArg {
	v, _ := g.varArgs()
	return v
}

// printStarted prints the run id first, then warnings.
func (g *globals) printStarted(i engine.RunInfo) {
	r := i.Run
	g.startedRun = r.ID
	fmt.Fprintf(g.stdout, "run %s  (%s %s, commit %.12s", r.ID, r.Kind, r.Pipeline, r.Commit)
	if r.Branch != "" {
		fmt.Fprintf(g.stdout, " on %s", r.Branch)
	}
	fmt.Fprintln(g.stdout, ")")
	if i.TrustedRef != "" && g.verbose {
		fmt.Fprintf(g.stderr, "protection rules from the trusted ref %s\n", i.TrustedRef)
	}
	for _, w := range i.Warnings {
		fmt.Fprintf(g.stderr, "Warning: %s\n", w)
	}
	for _, n := range i.Notes {
		fmt.Fprintln(g.stdout, n)
	}
}

// quietConfig loads the config without printing diagnostics; commands
// that can work without it (resume, approve) use it to pick runners.
func (g *globals) quietConfig() (*loader.Result, bool) {
	vars, _ := g.varArgs()
	res, diags := loader.Load(loader.Request{Dir: g.dir, Ref: g.ref, Vars: vars})
	if diags.HasErrors() || res == nil || res.Config == nil || res.Config.Pipeline == nil {
		return nil, false
	}
	return res, true
}
