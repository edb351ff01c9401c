package dsl

import (
	"sort"
	"sync"
)

// envAccess is the environment env() reads. It records every name env()
// is called with, and hides the names the engine asks it to hide, so that
// a config read from an untrusted change cannot read what the trusted
// config keeps for some steps only (see Config.HideEnv). Safe for
// concurrent use.
type envAccess struct {
	getenv func(string) (string, bool)

	mu     sync.Mutex
	read   map[string]bool
	hidden func(string) bool // nil: none
}

func newEnvAccess(getenv func(string) (string, bool)) *envAccess {
	return &envAccess{getenv: getenv, read: map[string]bool{}}
}

func (a *envAccess) lookup(name string) (string, bool) {
	a.mu.Lock()
	a.read[name] = true
	hidden := a.hidden
	a.mu.Unlock()
	if hidden != nil && hidden(name) {
		return "", false
	}
	return a.getenv(name)
}

// EnvRead returns, sorted, the names of the environment variables that
// env() has been called with while loading and evaluating c, hidden or
// not. PIPELINE_VAR_* values read for variables are not listed.
func (c *Config) EnvRead() []string {
	if c == nil || c.eval == nil || c.eval.envRead == nil {
		return nil
	}
	a := c.eval.envRead
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.read))
	for name := range a.read {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// HideEnv makes env() read every environment variable for which hidden
// returns true as unset ("") in every later evaluation of c (a step
// evaluated when it runs); hidden is called only when env() is, and must
// be safe for concurrent use. Values read while loading are not changed:
// check EnvRead for them.
func (c *Config) HideEnv(hidden func(name string) bool) {
	if c == nil || c.eval == nil || c.eval.envRead == nil {
		return
	}
	a := c.eval.envRead
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hidden = hidden
}
