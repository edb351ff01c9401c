package docker

import (
	"io"
	"sync"
)

// readAhead returns a reader that reads r in a goroutine of its own, up to
// max bytes ahead of the consumer, in blocks of readBlock. A step's output
// then keeps flowing out of the engine while the previous block is masked,
// logged and stored: without it the container stalls each time the
// consumer is busy, since the engine buffers little of an attached stream.
// Close stops the reading goroutine (it returns once its pending Read
// does); the reader is single-use and for one consumer.
func readAhead(r io.Reader, max int) io.ReadCloser {
	ra := &aheadReader{blocks: make(chan []byte, max/readBlock+1), done: make(chan struct{})}
	go ra.fill(r)
	return ra
}

const readBlock = 64 << 10

type aheadReader struct {
	blocks chan []byte
	done   chan struct{}
	once   sync.Once
	cur    []byte
	err    error // set before blocks is closed
}

func (a *aheadReader) fill(r io.Reader) {
	defer close(a.blocks)
	buf := make([]byte, readBlock)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			select {
			case a.blocks <- append([]byte(nil), buf[:n]...):
			case <-a.done:
				return
			}
		}
		if err != nil {
			a.err = err
			return
		}
	}
}

// Read implements io.Reader; it returns r's error (io.EOF at the end) once
// every block read before it has been consumed.
func (a *aheadReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		b, ok := <-a.blocks
		if !ok {
			return 0, a.err
		}
		a.cur = b
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the reading goroutine.
func (a *aheadReader) Close() error {
	a.once.Do(func() { close(a.done) })
	return nil
}
