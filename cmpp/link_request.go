package cmpp

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// pending is one request awaiting its response. It waits in Link.waiting
// while every window slot is taken, and is registered in Link.pending
// under its Sequence_Id before the writer sees it.
//
// Ownership: the caller and the writer each hold a reference (refs); the
// struct returns to the pool when both have let go, so the writer never
// reads buf after a caller reused it. sends and deadline belong to the
// writer goroutine. Whoever removes the entry from Link.pending (read loop,
// writer timer, fail) or from Link.waiting (fail, Close) sends exactly one
// result on ch.
type pending struct {
	seq      uint32
	resp     CommandID // Command_Id of the expected response
	windowed bool      // takes a window slot
	queued   bool      // in Link.waiting, not yet registered (guarded by Link.mu)
	buf      []byte    // the encoded frame, resent unchanged
	sends    int       // transmissions so far (writer-owned)
	deadline time.Time // when the current transmission times out (writer-owned)
	ch       chan result
	refs     atomic.Int32
}

// result is what a pending request ends with.
type result struct {
	pdu PDU
	err error
}

var pendingPool = sync.Pool{New: func() any {
	return &pending{ch: make(chan result, 1), buf: make([]byte, 0, 256)}
}}

// release drops one reference and recycles p when it was the last.
func (p *pending) release() {
	if p.refs.Add(-1) == 0 {
		pendingPool.Put(p)
	}
}

// Submit sends one SUBMIT and waits for its SUBMIT_RESP. It waits for a
// window slot (in arrival order) until ctx is done; nothing is sent for a
// call that gives up while waiting. A SUBMIT_RESP with Result≠0 returns the
// response together with a *ResultError (Retryable for Result 8). Other
// errors: the encoder's field errors (nothing sent), ctx.Err(),
// ErrResponseTimeout after Transmissions sends, or an error wrapping
// ErrLinkClosed.
//
// If ctx ends after the SUBMIT was handed to the link, Submit returns
// ctx.Err() at once but the request keeps its window slot until its
// response or final timeout: the ISMG still counts it, and it may still be
// accepted.
func (l *Link) Submit(ctx context.Context, s *Submit) (*SubmitResp, error) {
	pdu, err := l.roundTrip(ctx, s, true)
	if err != nil {
		return nil, err
	}
	resp := pdu.(*SubmitResp)
	if resp.Result != ResultOK {
		return resp, &ResultError{Command: CmdSubmitResp, Result: resp.Result}
	}
	return resp, nil
}

// Query sends a QUERY (traffic statistics) and waits for its QUERY_RESP,
// like Submit.
func (l *Link) Query(ctx context.Context, q *Query) (*QueryResp, error) {
	pdu, err := l.roundTrip(ctx, q, true)
	if err != nil {
		return nil, err
	}
	return pdu.(*QueryResp), nil
}

// Cancel sends a CANCEL for the message with SUBMIT_RESP Msg_Id id and
// waits for its CANCEL_RESP, like Submit. Success_Id≠0 (not cancelled)
// returns the response together with a *ResultError.
func (l *Link) Cancel(ctx context.Context, id MsgID) (*CancelResp, error) {
	pdu, err := l.roundTrip(ctx, &Cancel{MsgID: id}, true)
	if err != nil {
		return nil, err
	}
	resp := pdu.(*CancelResp)
	if resp.SuccessID != 0 {
		return resp, &ResultError{Command: CmdCancelResp, Result: resp.SuccessID}
	}
	return resp, nil
}

// roundTrip encodes req, registers it and hands it to the writer — or,
// when windowed and every slot is taken, queues it for the next free slot —
// and waits for its result.
func (l *Link) roundTrip(ctx context.Context, req PDU, windowed bool) (PDU, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // never send for a caller that already gave up
	}
	p := pendingPool.Get().(*pending)
	buf, err := Append(p.buf[:0], l.version, 0, req)
	if err != nil {
		pendingPool.Put(p)
		return nil, err
	}
	p.buf = buf
	p.resp, p.windowed, p.sends = req.CommandID().Response(), windowed, 0
	p.refs.Store(2)

	l.mu.Lock()
	if l.state != StateReady && (l.state != StateClosing || windowed) {
		err := l.refusedLocked()
		l.mu.Unlock()
		pendingPool.Put(p)
		return nil, err
	}
	if windowed && (l.waiting.len() > 0 || int(l.registered.Load()) >= l.cfg.Window) {
		p.queued = true
		l.waiting.push(p)
		l.mu.Unlock()
	} else {
		if windowed {
			l.registered.Add(1) // take a free slot
		}
		l.admitLocked(p)
		l.mu.Unlock()
		l.kickWriter()
	}

	var r result
	if done := ctx.Done(); done == nil {
		r = <-p.ch // cheaper than a select when ctx cannot end
	} else {
		select {
		case r = <-p.ch:
		case <-done:
			return nil, l.abandon(p, ctx.Err())
		}
	}
	p.release()
	return r.pdu, r.err
}

// abandon handles a caller whose ctx ended while it waited. A request
// still waiting for a slot leaves the queue unsent and is recycled. One
// already handed to the link stays registered, holding its slot until its
// response or final timeout; it is then dropped, not recycled.
func (l *Link) abandon(p *pending, err error) error {
	l.mu.Lock()
	queued := p.queued && l.waiting.remove(p)
	p.queued = false
	l.mu.Unlock()
	if queued {
		pendingPool.Put(p) // nobody else ever saw it
	}
	return err
}

// admitLocked gives p a Sequence_Id (patched into its encoded frame),
// registers it and queues it for the writer; the caller has counted the
// window slot of a windowed p in registered and wakes the writer with
// kickWriter. l.mu must be held.
func (l *Link) admitLocked(p *pending) {
	seq := l.nextSeq()
	binary.BigEndian.PutUint32(p.buf[8:], seq) // Sequence_Id, header offset 8
	p.seq = seq
	l.pending[seq] = p
	if p.windowed {
		l.counters.requests.Add(1)
		if p.resp == CmdSubmitResp {
			l.counters.submitted.Add(1)
		}
	}
	if n := len(l.pending); n > l.peakInFlight {
		l.peakInFlight = n
	}
	l.outbox = append(l.outbox, p)
}

// kickWriter wakes the writer to take the outbox.
func (l *Link) kickWriter() {
	select {
	case l.kick <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// takeWaitingLocked empties the queue of requests waiting for a slot.
// l.mu must be held.
func (l *Link) takeWaitingLocked() []*pending {
	waiting := l.waiting.drain()
	for _, p := range waiting {
		p.queued = false
	}
	return waiting
}

// failWaiting ends requests taken from the wait queue, never sent, with
// err. The writer never saw them, so its reference is dropped here.
func failWaiting(waiting []*pending, err error) {
	for _, p := range waiting {
		p.ch <- result{err: err}
		p.release()
	}
}

// refusedLocked is the error for a request made when the link is not
// ready. l.mu must be held.
func (l *Link) refusedLocked() error {
	if l.state == StateClosed {
		return l.err
	}
	return errClosing
}

// removeLocked unregisters the request seq and frees its window slot,
// which goes at once to the next waiting request (admitted to the outbox;
// whoever called removeLocked must see that the writer is woken). It
// returns nil when seq is not pending. l.mu must be held.
func (l *Link) removeLocked(seq uint32) *pending {
	p := l.pending[seq]
	if p == nil {
		return nil
	}
	delete(l.pending, seq)
	if p.windowed {
		if l.state == StateReady && l.waiting.len() > 0 {
			// Hand the slot over: registered never dips, so the writer
			// never sees a free slot that is already taken.
			next := l.waiting.pop()
			next.queued = false
			l.admitLocked(next)
		} else {
			l.registered.Add(-1)
		}
	}
	if l.state == StateClosing && len(l.pending) == 0 && !l.drainedDone {
		l.drainedDone = true
		close(l.drained)
	}
	return p
}
