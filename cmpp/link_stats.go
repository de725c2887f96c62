package cmpp

import "sync/atomic"

// LinkStats is a snapshot of a link's counters, e.g. for Prometheus. The
// counters are cumulative since Dial.
type LinkStats struct {
	State   LinkState // current state
	Version Version   // negotiated version
	Window  int       // configured window W

	InFlight     int // requests sent (or queued) and not yet answered
	PeakInFlight int // highest InFlight seen; never above Window
	Waiting      int // calls waiting for a window slot (nothing of them sent yet)

	Submitted   uint64 // SUBMITs accepted into the window
	Requests    uint64 // all requests accepted into the window (SUBMIT, QUERY, CANCEL)
	Responses   uint64 // responses matched to a pending request
	Timeouts    uint64 // requests failed with ErrResponseTimeout
	Retransmits uint64 // resends after ResponseTimeout (same Sequence_Id)
	LateResps   uint64 // responses matching no pending request (late or duplicate)

	ActiveTestsSent     uint64 // ACTIVE_TESTs sent by the keep-alive
	ActiveTestsReceived uint64 // ACTIVE_TESTs from the ISMG (each answered)

	DeliversReceived uint64 // DELIVERs read
	DeliversHandled  uint64 // DELIVERs whose handler returned nil (acknowledged)
	DeliverErrors    uint64 // DELIVERs whose handler failed (not acknowledged)

	FramesRead    uint64 // PDUs read
	FramesWritten uint64 // PDUs written, retransmissions included
	Flushes       uint64 // socket writes; FramesWritten/Flushes is the batching factor
	// DeadlineSets counts write-deadline updates: at most one per
	// ResponseTimeout/4 of wall time, not one per socket write.
	DeadlineSets uint64
}

// linkCounters are the atomic counters behind LinkStats.
type linkCounters struct {
	submitted, requests, responses, timeouts, retransmits, lateResps atomic.Uint64
	activeTestsSent, activeTestsReceived                             atomic.Uint64
	deliversReceived, deliversHandled, deliverErrors                 atomic.Uint64
	framesRead, framesWritten, flushes, deadlineSets                 atomic.Uint64
}

// Stats returns a snapshot of the link's counters.
func (l *Link) Stats() LinkStats {
	l.mu.Lock()
	inFlight, peak, waiting := len(l.pending), l.peakInFlight, l.waiting.len()
	l.mu.Unlock()
	c := &l.counters
	return LinkStats{
		State:               l.State(),
		Version:             l.version,
		Window:              l.cfg.Window,
		InFlight:            inFlight,
		PeakInFlight:        peak,
		Waiting:             waiting,
		Submitted:           c.submitted.Load(),
		Requests:            c.requests.Load(),
		Responses:           c.responses.Load(),
		Timeouts:            c.timeouts.Load(),
		Retransmits:         c.retransmits.Load(),
		LateResps:           c.lateResps.Load(),
		ActiveTestsSent:     c.activeTestsSent.Load(),
		ActiveTestsReceived: c.activeTestsReceived.Load(),
		DeliversReceived:    c.deliversReceived.Load(),
		DeliversHandled:     c.deliversHandled.Load(),
		DeliverErrors:       c.deliverErrors.Load(),
		FramesRead:          c.framesRead.Load(),
		FramesWritten:       c.framesWritten.Load(),
		Flushes:             c.flushes.Load(),
		DeadlineSets:        c.deadlineSets.Load(),
	}
}
