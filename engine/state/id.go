package state

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a random identifier of 16 lower-case hex digits. Stores use
// it for a Run, Release or Deployment whose ID is empty when it is created.
func NewID() string {
	var b [8]byte
	// crypto/rand.Read never returns an error and always fills b.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
