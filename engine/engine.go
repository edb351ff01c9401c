// Package engine is the facade the CLI calls: it runs a pipeline's plan,
// records runs, releases and deployments in the state store, stops at gates,
// checks approvals and promotion rules (read from the trusted ref), promotes
// and rolls back releases, and answers history and status questions.
//
// The engine never prints: it returns data and typed errors whose Code()
// is the process exit code (0 ok, 1 failed, 2 bad input, 3 stopped at a
// gate). Progress of a running plan goes to the ui.Sink in Options.
// It imports no concrete runner; the CLI passes runners and the Docker
// client in.
package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/cache"
	"github.com/pipeline-cd/pipeline/engine/mask"
	"github.com/pipeline-cd/pipeline/engine/release"
	"github.com/pipeline-cd/pipeline/engine/state"
	"github.com/pipeline-cd/pipeline/engine/state/masked"
	"github.com/pipeline-cd/pipeline/engine/ui"
	"github.com/pipeline-cd/pipeline/runners"
)

// DefaultLease is how long an environment lock is held without renewal;
// the holder renews it every third of the lease.
const DefaultLease = 2 * time.Minute

// Options configure an Engine. Store is required; everything else has a
// usable zero value.
type Options struct {
	Store state.Store
	// Runners maps a runner name ("docker", "local", "dryrun") to its
	// implementation; DefaultRunner names the one steps use when they name
	// none (default "docker").
	Runners       map[string]runners.Runner
	DefaultRunner string
	// Images builds the images of package stages; nil: a config with
	// image blocks fails its release with a clear error.
	Images release.ImageBuilder
	// Volumes lists and removes cache volumes for CacheAdmin; nil: the
	// Docker side of the caches is left out.
	Volumes cache.VolumeClient
	// ArtifactDir is the root of the content-addressed artifact store;
	// empty: "artifacts" beside nothing, which is an error when a release
	// has artifacts.
	ArtifactDir string
	Logger      hclog.Logger
	// Clock and NewID are injectable for tests; nil: time.Now and NewRunID.
	Clock func() time.Time
	NewID func() string
	// Output receives the events of running plans; nil discards them.
	Output ui.Sink
	// Host and PID identify this process in runs and locks; zero values:
	// os.Hostname and os.Getpid.
	Host string
	PID  int
	// HostID is the host identity (internal/hostid) in the names of the
	// artifact store's temporary files, so that GC removes only those of
	// dead writers on this host; empty: hostid.Get without a state
	// directory.
	HostID string
	// Lease is the environment lock lease; 0: DefaultLease.
	Lease time.Duration
	// PollInterval is how often --wait and --wait-lock look again; 0: 1s.
	PollInterval time.Duration
	// Getenv reads secret values and PIPELINE_USER; nil: os.LookupEnv.
	Getenv func(string) (string, bool)
	// Actor is the identity of the person (or CI job) this process acts
	// for: the actor of the audit events of runs, deploys and rollbacks.
	// Empty: PIPELINE_USER, else "pipeline@HOST".
	Actor string
	// AllowPrivileged mirrors --allow-privileged: without it, runs, dry
	// runs, resumes, deployments and rollbacks whose plan has steps asking
	// for privileged mode, host bind mounts or the Docker socket fail with
	// code 2 when planning, before anything is recorded or run (see
	// plan.PrivilegeError). The runners refuse such steps again unless
	// they were given the same permission.
	AllowPrivileged bool
	// StepUser is the container user ("UID:GID") of steps that mount the
	// workspace and set no user attribute, so that the files they write
	// belong to whoever runs pipeline; "" means this process's uid:gid.
	// "-" leaves the image's user.
	StepUser string
	// LogLimit bounds the stored log of each step attempt in bytes;
	// beyond it the store keeps the head and the tail (exec.Options.LogLimit):
	// 0 means exec.DefaultLogLimit (64 MiB), negative means no limit.
	LogLimit int64
}

// Engine runs and queries pipelines. It is safe for concurrent use; each
// method call is independent.
type Engine struct {
	opts  Options
	store state.Store
	// masks is store: every write to the state store passes its masker,
	// which learns the secrets of each config the engine loads.
	masks  *masked.Store
	logger hclog.Logger
	cas    *release.CAS
}

// New returns an Engine. It does not take ownership of opts.Store: the
// caller closes it.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = func() string { return NewRunID(opts.Clock()) }
	}
	if opts.Output == nil {
		opts.Output = ui.Discard
	}
	if opts.Host == "" {
		opts.Host, _ = os.Hostname()
	}
	if opts.PID == 0 {
		opts.PID = os.Getpid()
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Getenv == nil {
		opts.Getenv = os.LookupEnv
	}
	if opts.DefaultRunner == "" {
		opts.DefaultRunner = "docker"
	}
	switch opts.StepUser {
	case "":
		opts.StepUser = fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
	case "-":
		opts.StepUser = ""
	}
	e := &Engine{opts: opts, logger: opts.Logger}
	if opts.Store != nil {
		e.masks = masked.New(opts.Store)
		e.store = e.masks
	}
	if opts.ArtifactDir != "" {
		e.cas = &release.CAS{Root: opts.ArtifactDir, HostID: opts.HostID}
	}
	return e
}

// NewRunID returns a short, sortable, unique run id: "r-YYYYMMDD-" and six
// random hex digits.
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "r-" + now.UTC().Format("20060102") + "-" + hex.EncodeToString(b[:])
}

// DefaultStatePath returns the SQLite state path for a pipeline: the
// .pipeline/state.db at the repository root, or in the config directory
// when it is not in git.
func DefaultStatePath(repoRoot, configDir string) string {
	base := repoRoot
	if base == "" {
		base = configDir
	}
	return filepath.Join(base, ".pipeline", "state.db")
}

// DefaultArtifactDir returns the artifact store beside a state path.
func DefaultArtifactDir(statePath string) string {
	return filepath.Join(filepath.Dir(statePath), "artifacts")
}

func (e *Engine) now() time.Time { return e.opts.Clock().UTC() }

// learnSecrets makes every later write to the state store mask the
// secrets and sensitive variable values of cfgs (nil entries skipped).
func (e *Engine) learnSecrets(cfgs ...*dsl.Config) {
	if e.masks != nil {
		e.masks.Add(mask.ConfigSets(e.opts.Getenv, cfgs...)...)
	}
}
