package ismgsim

import (
	"maps"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// Faults are misbehaviours switched on at run time with SetFaults. The zero
// value is a well-behaved gateway.
type Faults struct {
	// DropResponseRatio is the share (0..1) of SUBMIT_RESPs never sent. The
	// SUBMIT itself is still handled (recorded, reported).
	DropResponseRatio float64
	// ResponseDelay delays every SUBMIT_RESP (through the scheduler, so
	// other PDUs on the link are not held up).
	ResponseDelay time.Duration
	// ForceResult, when non-zero, answers every SUBMIT with this Result
	// (no report follows). On 2.0 links, whose Result is one byte, values
	// above 255 are sent as 255.
	ForceResult uint32
	// ResultRatio is the share (0..1) of SUBMITs answered with
	// RatioResult instead of the checks' Result (no report follows); it
	// applies when ForceResult is 0. A rising share of refusals, drawn
	// at random per SUBMIT.
	ResultRatio float64
	// RatioResult is the Result of ResultRatio's SUBMITs; 0 leaves
	// ResultRatio without effect.
	RatioResult uint32
	// NoReportRatio is the share (0..1) of accepted SUBMITs whose status
	// reports are never sent (an ISMG that loses reports).
	NoReportRatio float64
	// FailReportRatio is the share (0..1) of status reports whose Stat is
	// "UNDELIV" (a failing report), drawn per report after StatOverride.
	FailReportRatio float64
	// CloseLinksEvery closes every link of every account periodically;
	// 0 = never.
	CloseLinksEvery time.Duration
	// ReportBeforeResp sends the status report before the SUBMIT_RESP, on
	// the same link (see the package documentation for the window rule).
	ReportBeforeResp bool
	// StatOverride maps a destination number to the Stat its reports
	// carry, overriding Config.StatMix (deterministic mixed outcomes).
	StatOverride map[string]string
	// Silent stops all answering (a dead peer) while keeping TCP open.
	Silent bool
	// FixedMsgID, when set, is the Msg_Id of every SUBMIT_RESP (whatever
	// its Result) and of the reports of accepted SUBMITs, instead of a
	// fresh one (recipient k of a group send gets it +k on the sequence,
	// as usual): an ISMG that answers the same Msg_Id, e.g. 0, to
	// different segments. CANCEL of such a Msg_Id withdraws the report of
	// the latest SUBMIT given it.
	FixedMsgID *cmpp.MsgID
}

// clone returns a copy of f that shares no map with it, with the ratio
// clamped to 0..1 and negative durations treated as 0.
func (f Faults) clone() Faults {
	f.StatOverride = maps.Clone(f.StatOverride)
	if f.FixedMsgID != nil {
		id := *f.FixedMsgID
		f.FixedMsgID = &id
	}
	f.DropResponseRatio = min(max(f.DropResponseRatio, 0), 1)
	f.ResultRatio = min(max(f.ResultRatio, 0), 1)
	f.NoReportRatio = min(max(f.NoReportRatio, 0), 1)
	f.FailReportRatio = min(max(f.FailReportRatio, 0), 1)
	f.ResponseDelay = max(f.ResponseDelay, 0)
	f.CloseLinksEvery = max(f.CloseLinksEvery, 0)
	return f
}

// SetFaults replaces the active faults. It takes effect at once and is safe
// for concurrent use.
func (s *Server) SetFaults(f Faults) {
	f = f.clone()
	old := s.faults.Swap(&f)
	if old.CloseLinksEvery != f.CloseLinksEvery {
		select {
		case s.closerReset <- struct{}{}:
		default:
		}
	}
	if old.Silent && !f.Silent {
		s.kickLinks()
	}
}

// Faults returns a copy of the active faults.
func (s *Server) Faults() Faults {
	return s.faults.Load().clone()
}

// runLinkCloser is the goroutine behind Faults.CloseLinksEvery. It owns a
// timer that is re-armed whenever the interval changes.
func (s *Server) runLinkCloser() {
	defer s.wg.Done()
	var tick <-chan time.Time
	var ticker *time.Ticker
	rearm := func() {
		if ticker != nil {
			ticker.Stop()
			ticker, tick = nil, nil
		}
		if d := s.faults.Load().CloseLinksEvery; d > 0 {
			ticker = time.NewTicker(d)
			tick = ticker.C
		}
	}
	rearm()
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.closerReset:
			rearm()
		case <-tick:
			n := s.closeAllLinks(errFaultClose)
			s.log.Info().Int("links", n).Msg("fault: closed every link")
		}
	}
}
