package ismgsim

import (
	"errors"
	"sync"

	"github.com/smsbridge/smsbridge/cmpp"
)

// outHighWater is the size of unsent output at which the read loop stops
// reading (and so stops producing responses) until the writer catches up.
const outHighWater = 256 << 10

// outFlushThreshold is the size of queued output that is written at once,
// whoever queued it and whatever FlushDelay says.
const outFlushThreshold = 16 << 10

// errOutClosed is returned when appending to the output of a closed link.
var errOutClosed = errors.New("link output closed")

// When output queued by append is written.
type urgency uint8

const (
	// outAfterInput: a response from the read loop. It is written when the
	// read loop has no more whole frame buffered (the read loop calls
	// flush), or at outFlushThreshold: the responses to every request that
	// arrived together leave together, in one write.
	outAfterInput urgency = iota
	// outMayHold: the simulator's own DELIVER, queued by another goroutine
	// than the read loop (a report falling due, an MO). The writer may hold
	// it up to Config.FlushDelay for more to join it; any earlier write
	// takes it along.
	outMayHold
	// outNow: written at once (a delayed response, a full DELIVER window).
	outNow
)

// outQueue is a link's output: PDUs are encoded straight into one byte
// buffer under a mutex, and the writer goroutine swaps it for a spare one
// and writes the whole batch with one Write (double buffering, no per-PDU
// allocation or channel send). When the writer is woken is the batching
// policy: see urgency. The read loop writes its own responses when it runs
// out of input and no other write is in progress (takeDue), which saves a
// goroutine handoff per batch; at most one write is in progress at a time,
// so the bytes leave in the order they were queued.
type outQueue struct {
	highWater int
	mu        sync.Mutex
	space     sync.Cond // signalled when the writer takes the buffer or the queue closes
	buf       []byte
	spare     []byte // the buffer last written, reused by the next swap
	due       bool   // buf must be written now: the writer does not hold it
	writing   bool   // a buffer taken by take or takeDue is being written
	closed    bool
	finishing error         // non-nil: close the link for this reason once buf is written
	wake      chan struct{} // capacity 1: "write buf now" or "start holding buf"
}

func (q *outQueue) init(highWater int) {
	q.highWater = highWater
	q.space.L = &q.mu
	q.wake = make(chan struct{}, 1)
	q.buf = make([]byte, 0, 4096)
	q.spare = make([]byte, 0, 4096)
}

func (q *outQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// append encodes p in the layout of v with Sequence_Id seq, to be written
// as u says. An outAfterInput append (read loop only) first waits while at
// least highWater bytes are unsent (Config.outHighWater). It fails when the
// link is closing.
func (q *outQueue) append(v cmpp.Version, seq uint32, p cmpp.PDU, u urgency) error {
	q.mu.Lock()
	for u == outAfterInput && len(q.buf) >= q.highWater && !q.closed {
		if q.dueLocked() { // the read loop cannot flush while it waits
			q.signal()
		}
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
	wake := false
	switch {
	case u == outNow || len(b) >= outFlushThreshold:
		wake = q.dueLocked()
	case u == outMayHold:
		wake = wasEmpty // the writer starts holding; a non-empty buf is already known or due soon
	}
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	return nil
}

// flush makes what is queued due now: the read loop calls it when it has
// no more input at hand, other goroutines when nothing more can follow
// soon (the DELIVER window is full).
func (q *outQueue) flush() {
	q.mu.Lock()
	wake := len(q.buf) > 0 && q.dueLocked()
	q.mu.Unlock()
	if wake {
		q.signal()
	}
}

// dueLocked marks buf due and reports whether the writer needs waking.
func (q *outQueue) dueLocked() bool {
	if q.due {
		return false
	}
	q.due = true
	return true
}

// finish asks the writer to close the link for reason after writing what
// is queued; nothing can be appended afterwards.
func (q *outQueue) finish(reason error) {
	q.mu.Lock()
	q.finishing = reason
	q.mu.Unlock()
	q.signal()
}

// take hands the writer goroutine the queued bytes and the reason to close
// the link once they are written, if any; it must pass them to written
// after writing. It returns nothing while the read loop is writing (its
// written wakes the writer again) and, unless force, leaves output that
// may still be held (not due, link not finishing) where it is and returns
// held true.
func (q *outQueue) take(force bool) (out []byte, finish error, held bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.writing {
		return nil, nil, false
	}
	if !force && !q.due && q.finishing == nil && len(q.buf) > 0 {
		return nil, nil, true
	}
	return q.swapLocked(), q.finishing, false
}

// takeDue is the read loop's flush when it has no more input at hand: it
// returns the queued bytes for the read loop to write itself (no handoff
// to the writer goroutine) and then pass to written. While another write
// is in progress or the link is finishing it returns nil and leaves the
// output, due, to the writer goroutine.
func (q *outQueue) takeDue() []byte {
	q.mu.Lock()
	if len(q.buf) == 0 {
		q.mu.Unlock()
		return nil
	}
	if q.writing || q.finishing != nil {
		wake := q.dueLocked()
		q.mu.Unlock()
		if wake {
			q.signal()
		}
		return nil
	}
	out := q.swapLocked()
	q.mu.Unlock()
	return out
}

// swapLocked hands out buf, replacing it with the spare buffer, and marks a
// write in progress when there is something to write.
func (q *outQueue) swapLocked() []byte {
	q.due = false
	q.space.Broadcast()
	if len(q.buf) == 0 {
		return nil
	}
	out := q.buf
	q.buf, q.spare = q.spare[:0], nil
	if q.buf == nil {
		q.buf = make([]byte, 0, 4096)
	}
	q.writing = true
	return out
}

// written ends the write of buf (from take or takeDue) and keeps buf as
// the spare. It reports whether output is left that the writer goroutine
// must look at (the caller then signals it).
func (q *outQueue) written(buf []byte) (more bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.writing = false
	if cap(buf) <= 4*q.highWater { // do not keep a burst's buffer forever
		q.spare = buf[:0]
	}
	return len(q.buf) > 0 || q.finishing != nil
}

// close fails every later append and wakes a blocked one.
func (q *outQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.space.Broadcast()
	q.mu.Unlock()
}
