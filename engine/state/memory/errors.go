package memory

import "errors"

// ErrClosed is returned by every method of a closed Store.
var ErrClosed = errors.New("memory state store is closed")
