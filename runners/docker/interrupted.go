package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/hashicorp/go-hclog"
)

// labelCreate marks each create request with a nonce, so that a container
// whose create request was cancelled, but which the engine created all the
// same, can be found and removed.
const labelCreate = "dev.pipeline.create"

// interruptedPoll and interruptedWait bound the search for such a
// container: the engine may finish the create a moment after the client
// gave up on it.
const (
	interruptedPoll = 200 * time.Millisecond
	interruptedWait = 10 * time.Second
)

func newNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// removeInterrupted removes the container created with nonce after its
// create request was cancelled: once at once, then in the background
// (tracked like other removals, so Wait and Close wait for it) until one
// turns up or interruptedWait passed.
func (r *Runner) removeInterrupted(nonce string, logger hclog.Logger) {
	if r.removeByNonce(nonce, logger) {
		return
	}
	r.removals.Add(1)
	go func() {
		defer r.removals.Done()
		deadline := time.Now().Add(interruptedWait)
		for time.Now().Before(deadline) {
			time.Sleep(interruptedPoll)
			if r.removeByNonce(nonce, logger) {
				return
			}
		}
	}()
}

// removeByNonce removes the containers labelled with nonce and reports
// whether there were any.
func (r *Runner) removeByNonce(nonce string, logger hclog.Logger) bool {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	list, err := r.cli.ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", labelCreate+"="+nonce))})
	if err != nil || len(list) == 0 {
		return false
	}
	for _, c := range list {
		logger.Debug("removing the container of an interrupted create", "id", c.ID)
		r.remove(c.ID, logger)
	}
	return true
}
