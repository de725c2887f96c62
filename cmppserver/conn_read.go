package cmppserver

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// errMalformed wraps every reason a frame closes the link.
var errMalformed = errors.New("malformed or unexpected PDU")

// clientTerminateWait bounds how long a client's TERMINATE waits for the
// SUBMITs in hand to be answered before TERMINATE_RESP.
const clientTerminateWait = 2 * time.Second

// readLoop reads and dispatches frames until the link ends; it returns
// why. It never blocks on the network for output or on the backend.
func (l *link) readLoop(fr *cmpp.FrameReader) error {
	for {
		frame, err := fr.ReadFrame()
		if err != nil {
			if errors.Is(err, cmpp.ErrFrameTooShort) || errors.Is(err, cmpp.ErrFrameTooLong) {
				l.log.Warn().Err(err).Msg("cmpp link: bad frame length; closing")
				return fmt.Errorf("%w: %v", errMalformed, err)
			}
			if l.ctx.Err() != nil {
				return l.reason()
			}
			if errors.Is(err, io.EOF) {
				return io.EOF
			}
			return err
		}
		l.lastRead.Store(time.Now().UnixNano())
		h, pdu, err := cmpp.Decode(frame, l.version)
		if err != nil {
			l.log.Warn().Err(err).Stringer("command", h.CommandID).Uint32("seq", h.SequenceID).Msg("cmpp link: undecodable PDU; closing")
			return fmt.Errorf("%w: %v", errMalformed, err)
		}
		if err := l.dispatch(h, pdu); err != nil {
			return err
		}
	}
}

// dispatch handles one decoded PDU; an error ends the link.
func (l *link) dispatch(h cmpp.Header, pdu cmpp.PDU) error {
	s := l.srv
	switch p := pdu.(type) {
	case *cmpp.Submit:
		if s.front.isDraining() {
			// Nothing stored: the client resubmits elsewhere (Result 8 is
			// not final, §9.3).
			l.respond(h.SequenceID, &cmpp.SubmitResp{Result: cmpp.ResultFlowControl})
			return nil
		}
		l.mu.Lock()
		l.inHand++
		l.mu.Unlock()
		s.onSubmit(l, h.SequenceID, p)
	case *cmpp.Query:
		s.onQuery(l, h.SequenceID, p)
	case *cmpp.Cancel:
		s.onCancel(l, h.SequenceID, p)
	case *cmpp.ActiveTest:
		l.respond(h.SequenceID, &cmpp.ActiveTestResp{})
	case *cmpp.ActiveTestResp:
		if !l.issued(h.SequenceID) {
			return l.unexpected(h)
		}
	case *cmpp.DeliverResp:
		if !l.deliverAnswered(h.SequenceID, p.Result) && !l.issued(h.SequenceID) {
			return l.unexpected(h)
		}
	case *cmpp.Terminate:
		l.clientTerminate(h.SequenceID)
		return errClientTerminate
	case *cmpp.TerminateResp:
		if !l.issued(h.SequenceID) {
			return l.unexpected(h)
		}
		if l.termGot.CompareAndSwap(false, true) {
			close(l.termResp)
		}
	default:
		return l.unexpected(h)
	}
	return nil
}

// issued reports whether seq is one of the server's own Sequence_Ids on
// this link (a late answer to a DELIVER given up on is harmless).
func (l *link) issued(seq uint32) bool {
	return seq != 0 && seq <= l.ownSeq.Load()
}

// unexpected logs a PDU the client must not send and returns the error
// that closes the link.
func (l *link) unexpected(h cmpp.Header) error {
	l.log.Warn().Stringer("command", h.CommandID).Uint32("seq", h.SequenceID).Msg("cmpp link: unexpected PDU; closing")
	return fmt.Errorf("%w: unexpected %s seq %d", errMalformed, h.CommandID, h.SequenceID)
}

// clientTerminate answers the client's TERMINATE after the SUBMITs in
// hand are answered (bounded by clientTerminateWait), then lets the
// writer flush and the link close.
func (l *link) clientTerminate(seq uint32) {
	timer := time.NewTimer(clientTerminateWait)
	defer timer.Stop()
	l.mu.Lock()
	if l.inHand > 0 {
		idle := make(chan struct{})
		l.inHandIdle = idle
		l.mu.Unlock()
		select {
		case <-idle:
		case <-timer.C:
		case <-l.ctx.Done():
		}
		l.mu.Lock()
	}
	l.appendLocked(seq, &cmpp.TerminateResp{})
	l.final = true
	l.mu.Unlock()
	l.kick()
	select {
	case <-l.writerDone:
	case <-timer.C:
	}
}
