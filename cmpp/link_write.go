package cmpp

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// ctrlFrame is a frame on the writer's priority path: a response the link
// owes the ISMG (ACTIVE_TEST_RESP, DELIVER_RESP, TERMINATE_RESP).
type ctrlFrame struct {
	buf []byte
	// terminate: after writing and flushing buf, take the link down with
	// ErrPeerTerminated (buf is a TERMINATE_RESP).
	terminate bool
}

// errWriterDone stops the writer without failing the link again.
var errWriterDone = errors.New("writer done")

// keepalive is the writer's ACTIVE_TEST state.
type keepalive struct {
	reads         uint64    // l.reads at the last tick
	lastActivity  time.Time // when a frame was last seen read
	probing       bool      // an ACTIVE_TEST is out, unanswered
	probeDeadline time.Time
	misses        int // consecutive ACTIVE_TESTs unanswered
}

// tickInterval is the period of the writer's timer: fine enough to honour
// ResponseTimeout and IdleInterval closely, at most once a second.
func tickInterval(cfg LinkConfig) time.Duration {
	d := min(cfg.ResponseTimeout, cfg.IdleInterval) / 4
	return min(max(d, time.Millisecond), time.Second)
}

// flushThreshold is the buffered size at which the writer writes without
// waiting for FlushDelay: about 20 SUBMITs.
const flushThreshold = 4 << 10

// writeLoop is the link's only writer. It owns the bufio.Writer, prefers
// the priority path over requests, and on each tick resends or expires
// timed-out requests and runs the ACTIVE_TEST keep-alive. Requests come
// from the outbox, taken whole on each kick. Once nothing more is queued
// it writes what it buffered — at once when the window is full (the
// requests that follow wait for responses, and the read loop kicks once
// per read, so a full window refills in one batch), flushThreshold is
// reached or Close has begun (no request can follow, and a held
// DELIVER_RESP would be lost when TERMINATE_RESP ends the link), else
// after holding it up to FlushDelay for more frames to join (see
// LinkConfig.FlushDelay).
func (l *Link) writeLoop() {
	defer l.exit()
	bw := bufio.NewWriterSize(&deadlineWriter{conn: l.conn, timeout: l.cfg.ResponseTimeout,
		writes: &l.counters.flushes, sets: &l.counters.deadlineSets}, 16<<10)
	ticker := time.NewTicker(tickInterval(l.cfg))
	defer ticker.Stop()
	hold := time.NewTimer(time.Hour)
	hold.Stop()
	defer hold.Stop()
	var holding <-chan time.Time // hold.C while frames are held, else nil
	ka := keepalive{lastActivity: time.Now()}
	var batch []*pending // the outbox taken last, reused
	for {
		var err error
		flushNow := false
		select {
		case f := <-l.ctrl:
			err = l.writeCtrl(bw, f)
		default:
			select {
			case f := <-l.ctrl:
				err = l.writeCtrl(bw, f)
			case <-l.kick:
				batch, err = l.writeOutbox(bw, batch)
			case now := <-ticker.C:
				timeouts := l.counters.timeouts.Load()
				err = l.onTick(bw, &ka, now)
				if l.counters.timeouts.Load() != timeouts {
					// An expired request freed its slot for a waiting one.
					// Not taking the outbox here keeps a tick from
					// splitting the batch the read loop is admitting.
					l.kickWriter()
				}
			case <-holding:
				holding, flushNow = nil, true
			case <-l.done:
				return
			}
		}
		if err == nil && bw.Buffered() > 0 && len(l.ctrl) == 0 && len(l.kick) == 0 {
			if flushNow || l.cfg.FlushDelay < 0 || bw.Buffered() >= flushThreshold ||
				int(l.registered.Load()) >= l.cfg.Window || l.closing.Load() {
				holding = nil
				hold.Stop()
				err = bw.Flush()
			} else if holding == nil {
				hold.Reset(l.cfg.FlushDelay)
				holding = hold.C
			}
		}
		if err != nil {
			if err != errWriterDone {
				l.fail(fmt.Errorf("write: %w", err))
			}
			return
		}
	}
}

// writeOutbox takes the whole outbox (swapping in spare, emptied, for the
// admitters to fill) and writes its requests in Sequence_Id order, serving
// the priority path before each. It returns the taken slice for reuse.
func (l *Link) writeOutbox(bw *bufio.Writer, spare []*pending) ([]*pending, error) {
	l.mu.Lock()
	batch := l.outbox
	l.outbox = spare[:0]
	l.mu.Unlock()
	now := time.Now() // one clock read per batch while the frames only buffer
	for i, p := range batch {
		for len(l.ctrl) > 0 {
			if err := l.writeCtrl(bw, <-l.ctrl); err != nil {
				return nil, err
			}
			now = time.Time{} // it may have waited for the socket
		}
		batch[i] = nil
		if bw.Available() < len(p.buf) {
			now = time.Time{} // this write reaches the socket, which may make us wait
		}
		var err error
		if now, err = l.writeRequest(bw, p, now); err != nil {
			return nil, err
		}
	}
	return batch[:0], nil
}

// deadlineWriter bounds every socket write by timeout, so a peer that
// stops reading cannot block the writer (and with it the keep-alive)
// forever: the write fails and the link goes down.
//
// Setting a deadline costs a runtime timer update per call, so it is not
// set per write: it is moved to now + timeout + timeout/4 only when less
// than timeout remains. Every write thus has between timeout and 1.25 ×
// timeout to complete, and the deadline moves at most once per timeout/4
// of wall time however many writes are made (one per flush). Only the
// writer goroutine uses it.
type deadlineWriter struct {
	conn    net.Conn
	timeout time.Duration
	expires time.Time // the write deadline currently set on conn (zero: none)
	// writes counts socket writes (LinkStats.Flushes); sets counts
	// deadline updates.
	writes, sets *atomic.Uint64
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	now := time.Now()
	if w.expires.Sub(now) < w.timeout {
		w.expires = now.Add(w.timeout + w.timeout/4)
		if err := w.conn.SetWriteDeadline(w.expires); err != nil {
			return 0, err
		}
		w.sets.Add(1)
	}
	w.writes.Add(1)
	return w.conn.Write(p)
}

// writeCtrl writes one priority frame.
func (l *Link) writeCtrl(bw *bufio.Writer, f ctrlFrame) error {
	if _, err := bw.Write(f.buf); err != nil {
		return err
	}
	l.counters.framesWritten.Add(1)
	if f.terminate {
		if err := bw.Flush(); err != nil {
			return err
		}
		l.fail(ErrPeerTerminated)
		return errWriterDone
	}
	return nil
}

// writeRequest writes a request's first transmission and starts its
// response timer at now (zero: read the clock after the write), which it
// returns. p may be recycled once it returns.
func (l *Link) writeRequest(bw *bufio.Writer, p *pending, now time.Time) (time.Time, error) {
	_, err := bw.Write(p.buf)
	if now.IsZero() {
		now = time.Now()
	}
	p.sends = 1
	p.deadline = now.Add(l.cfg.ResponseTimeout)
	p.release()
	if err != nil {
		return now, err
	}
	l.counters.framesWritten.Add(1)
	return now, nil
}

// onTick resends or expires requests whose response is overdue, then runs
// the keep-alive.
func (l *Link) onTick(bw *bufio.Writer, ka *keepalive, now time.Time) error {
	if err := l.retransmit(bw, now); err != nil {
		return err
	}
	return l.keepAlive(bw, ka, now)
}

// retransmit resends every request unanswered after ResponseTimeout with
// the same bytes and Sequence_Id, and fails those already sent
// Transmissions times with ErrResponseTimeout, freeing their slots.
//
// The frames to resend are copied into the writer-owned resend buffer under
// l.mu and written after it is released: a write can block (a full socket
// buffer, up to the write deadline), and the read loop needs l.mu to
// complete every other request meanwhile. The copy matters too: once l.mu
// is released a response may complete a request and its caller recycle
// p.buf, so the writer must not read p.buf outside the lock.
func (l *Link) retransmit(bw *bufio.Writer, now time.Time) error {
	var expired []*pending
	resend := l.resend[:0]
	frames := 0
	l.mu.Lock()
	for seq, p := range l.pending {
		if p.sends == 0 || now.Before(p.deadline) {
			continue // not written yet, or still in time
		}
		if p.sends < l.cfg.Transmissions {
			resend = append(resend, p.buf...)
			p.sends++
			p.deadline = now.Add(l.cfg.ResponseTimeout)
			frames++
			continue
		}
		expired = append(expired, l.removeLocked(seq))
	}
	l.mu.Unlock()
	l.resend = resend
	for _, p := range expired {
		l.counters.timeouts.Add(1)
		l.log.Warn().Uint32("seq", p.seq).Stringer("command", p.resp).Int("sends", p.sends).
			Msg("cmpp request unanswered, giving up")
		p.ch <- result{err: fmt.Errorf("%w: %s Sequence_Id %d after %d sends",
			ErrResponseTimeout, p.resp&^respBit, p.seq, p.sends)}
	}
	if frames == 0 {
		return nil
	}
	l.counters.retransmits.Add(uint64(frames))
	if _, err := bw.Write(resend); err != nil {
		return err
	}
	l.counters.framesWritten.Add(uint64(frames))
	return nil
}

// keepAlive sends an ACTIVE_TEST after IdleInterval without reading
// anything, and declares the link dead after Transmissions consecutive
// ACTIVE_TESTs each unanswered for ResponseTimeout. Any frame read counts
// as an answer.
func (l *Link) keepAlive(bw *bufio.Writer, ka *keepalive, now time.Time) error {
	if r := l.reads.Load(); r != ka.reads {
		ka.reads, ka.lastActivity = r, now
		ka.probing, ka.misses = false, 0
	}
	switch {
	case ka.probing && now.Before(ka.probeDeadline):
		return nil
	case ka.probing:
		ka.misses++
		if ka.misses >= l.cfg.Transmissions {
			l.fail(fmt.Errorf("%w: %d ACTIVE_TESTs in a row", ErrHeartbeatTimeout, ka.misses))
			return errWriterDone
		}
	case now.Sub(ka.lastActivity) < l.cfg.IdleInterval:
		return nil
	}
	frame, err := Append(make([]byte, 0, HeaderLen), l.version, l.nextSeq(), &ActiveTest{})
	if err != nil {
		return err
	}
	if _, err := bw.Write(frame); err != nil {
		return err
	}
	l.counters.activeTestsSent.Add(1)
	l.counters.framesWritten.Add(1)
	ka.probing, ka.probeDeadline = true, now.Add(l.cfg.ResponseTimeout)
	return nil
}

// sendCtrl queues a frame on the priority path. It returns false when the
// link is down.
func (l *Link) sendCtrl(f ctrlFrame) bool {
	select {
	case l.ctrl <- f:
		return true
	case <-l.done:
		return false
	}
}

// encodeCtrl encodes a response PDU for the priority path.
func (l *Link) encodeCtrl(seq uint32, p PDU) ctrlFrame {
	buf, err := Append(make([]byte, 0, HeaderLen+p.BodyLen(l.version)), l.version, seq, p)
	if err != nil { // cannot happen for the fixed-size responses sent here
		l.log.Error().Err(err).Stringer("command", p.CommandID()).Msg("cmpp encode response")
	}
	return ctrlFrame{buf: buf}
}
