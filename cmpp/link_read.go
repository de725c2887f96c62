package cmpp

import (
	"errors"
	"fmt"
)

// readLoop is the link's only reader. It decodes every frame and
// dispatches it: responses complete their pending request, ACTIVE_TEST and
// TERMINATE are answered on the writer's priority path, DELIVERs go to the
// worker queue. A read error or a malformed PDU takes the link down.
//
// A response frees a window slot that goes at once to the next waiting
// request. The loop wakes the writer for those only once it has handled
// every frame already read (or before it may block on another frame), so
// the requests admitted by one read share one socket write.
func (l *Link) readLoop(fr *FrameReader) {
	defer l.exit()
	kick := false // requests admitted since the writer was last woken
	for {
		if kick && !fr.FrameBuffered() {
			l.kickWriter()
			kick = false
		}
		frame, err := fr.ReadFrame()
		if err != nil {
			l.failRead(err)
			return
		}
		l.reads.Add(1)
		l.counters.framesRead.Add(1)
		h, pdu, err := Decode(frame, l.version)
		if err != nil {
			if errors.Is(err, ErrUnknownCommand) && h.TotalLength == uint32(len(frame)) {
				// Framing is intact: skip a vendor extension we cannot answer.
				l.log.Warn().Err(err).Uint32("seq", h.SequenceID).Msg("cmpp unknown Command_Id ignored")
				continue
			}
			l.log.Error().Err(err).Uint32("seq", h.SequenceID).Stringer("command", h.CommandID).
				Msg("cmpp malformed PDU, closing link")
			l.fail(fmt.Errorf("malformed %s: %w", h.CommandID, err))
			return
		}
		if isResponse(h.CommandID) {
			if l.complete(h, pdu) {
				kick = true
			}
			continue
		}
		if kick {
			l.kickWriter()
			kick = false
		}
		if !l.dispatch(h, pdu) {
			return
		}
	}
}

// failRead takes the link down after a read error. During Close the
// peer's hang-up after TERMINATE_RESP is the expected end.
func (l *Link) failRead(err error) {
	if l.State() == StateClosing {
		l.fail(ErrClosedByUser)
		return
	}
	l.fail(fmt.Errorf("read: %w", err))
}

// isResponse reports whether id answers one of the link's requests.
func isResponse(id CommandID) bool {
	switch id {
	case CmdSubmitResp, CmdQueryResp, CmdCancelResp, CmdTerminateResp:
		return true
	}
	return false
}

// dispatch handles one decoded PDU other than a response. It returns false
// when the link is down and the read loop should stop.
func (l *Link) dispatch(h Header, pdu PDU) bool {
	switch h.CommandID {
	case CmdActiveTestResp:
		// Liveness only: the writer sees that a frame was read.
	case CmdActiveTest:
		l.counters.activeTestsReceived.Add(1)
		return l.sendCtrl(l.encodeCtrl(h.SequenceID, &ActiveTestResp{}))
	case CmdDeliver:
		l.counters.deliversReceived.Add(1)
		counted := l.countDeliver() // before the queue: Close must not miss it
		select {
		case l.delivers <- delivery{seq: h.SequenceID, d: pdu.(*Deliver), counted: counted}:
		case <-l.done:
			return false
		}
	case CmdTerminate:
		l.log.Info().Uint32("seq", h.SequenceID).Msg("cmpp TERMINATE from peer")
		f := l.encodeCtrl(h.SequenceID, &TerminateResp{})
		f.terminate = true
		return l.sendCtrl(f)
	default:
		l.log.Warn().Uint32("seq", h.SequenceID).Stringer("command", h.CommandID).
			Msg("cmpp unexpected PDU ignored")
	}
	return true
}

// complete hands a response to the request with the same Sequence_Id. It
// reports whether requests wait in the outbox for the writer (the freed
// slot admitted one).
func (l *Link) complete(h Header, pdu PDU) bool {
	l.mu.Lock()
	p := l.pending[h.SequenceID]
	if p == nil || p.resp != h.CommandID {
		l.mu.Unlock()
		l.counters.lateResps.Add(1)
		ev := l.log.Debug()
		if p != nil {
			ev = l.log.Warn()
		}
		ev.Uint32("seq", h.SequenceID).Stringer("command", h.CommandID).
			Msg("cmpp response matches no pending request")
		return false
	}
	l.removeLocked(h.SequenceID)
	admitted := len(l.outbox) > 0
	l.mu.Unlock()
	l.counters.responses.Add(1)
	p.ch <- result{pdu: pdu}
	return admitted
}
