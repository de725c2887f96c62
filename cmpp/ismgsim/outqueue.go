package ismgsim

import (
	"errors"
	"sync"

	"github.com/smsbridge/smsbridge/cmpp"
)

// outHighWater is the size of unsent output at which the read loop stops
// reading (and so stops producing responses) until the writer catches up.
const outHighWater = 256 << 10

// errOutClosed is returned when appending to the output of a closed link.
var errOutClosed = errors.New("link output closed")

// outQueue is a link's output: PDUs are encoded straight into one byte
// buffer under a mutex, and the writer goroutine swaps it for a spare one
// and writes the whole batch with one Write (double buffering, no per-PDU
// allocation or channel send).
type outQueue struct {
	highWater int
	mu        sync.Mutex
	space     sync.Cond // signalled when the writer takes the buffer or the queue closes
	buf       []byte
	closed    bool
	finishing error         // non-nil: close the link for this reason once buf is written
	wake      chan struct{} // capacity 1: "buf became non-empty" or "finishing"
}

func (q *outQueue) init(highWater int) {
	q.highWater = highWater
	q.space.L = &q.mu
	q.wake = make(chan struct{}, 1)
	q.buf = make([]byte, 0, 4096)
}

func (q *outQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// append encodes p in the layout of v with Sequence_Id seq. With block set
// (read loop only) it first waits while more than outHighWater bytes are
// unsent (Config.outHighWater). It fails when the link is closing.
func (q *outQueue) append(v cmpp.Version, seq uint32, p cmpp.PDU, block bool) error {
	q.mu.Lock()
	for block && len(q.buf) >= q.highWater && !q.closed {
		q.space.Wait()
	}
	if q.closed || q.finishing != nil {
		q.mu.Unlock()
		return errOutClosed
	}
	wasEmpty := len(q.buf) == 0
	b, err := cmpp.Append(q.buf, v, seq, p)
	if err != nil {
		q.mu.Unlock()
		return err
	}
	q.buf = b
	q.mu.Unlock()
	if wasEmpty {
		q.signal()
	}
	return nil
}

// finish asks the writer to close the link for reason after writing what
// is queued; nothing can be appended afterwards.
func (q *outQueue) finish(reason error) {
	q.mu.Lock()
	q.finishing = reason
	q.mu.Unlock()
	q.signal()
}

// take swaps the queued bytes for spare and returns the reason to close
// the link once they are written, if any.
func (q *outQueue) take(spare []byte) (out []byte, finish error) {
	q.mu.Lock()
	out, q.buf = q.buf, spare[:0]
	finish = q.finishing
	q.space.Broadcast()
	q.mu.Unlock()
	return out, finish
}

// close fails every later append and wakes a blocked one.
func (q *outQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.space.Broadcast()
	q.mu.Unlock()
}
