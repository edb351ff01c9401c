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
	hidden map[string]bool
}

func newEnvAccess(getenv func(string) (string, bool)) *envAccess {
	return &envAccess{getenv: getenv, read: map[string]bool{}, hidden: map[string]bool{}}
}

func (a *envAccess) lookup(name string) (string, bool) {
	a.mu.Lock()
	a.read[name] = true
	hidden := a.hidden[name]
	a.mu.Unlock()
	if hidden {
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

// HideEnv makes env() read the named environment variables as unset ("")
// in every later evaluation of c (a step evaluated when it runs). Values
// read while loading are not changed: check EnvRead for them.
func (c *Config) HideEnv(names ...string) {
	if c == nil || c.eval == nil || c.eval.envRead == nil {
		return
	}
	a := c.eval.envRead
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range names {
		a.hidden[n] = true
	}
}
