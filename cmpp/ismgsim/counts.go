package ismgsim

import "sync/atomic"

// AccountCounts are the traffic counters of one account since the server
// started (or since ResetCounts). SUBMIT counters count PDUs; report
// counters count report DELIVERs (one per segment per recipient).
type AccountCounts struct {
	Submits          uint64 `json:"submits"`           // SUBMITs received and handled
	Accepted         uint64 `json:"accepted"`          // answered Result 0
	Recipients       uint64 `json:"recipients"`        // recipients of accepted SUBMITs
	FlowControlled   uint64 `json:"flow_controlled"`   // answered Result 8
	Rejected         uint64 `json:"rejected"`          // answered another non-zero Result
	ResponsesDropped uint64 `json:"responses_dropped"` // SUBMIT_RESPs withheld by Faults.DropResponseRatio
	ReportsSent      uint64 `json:"reports_sent"`      // report DELIVERs sent (first transmission)
	ReportsResent    uint64 `json:"reports_resent"`    // report DELIVER retransmissions
	ReportsAcked     uint64 `json:"reports_acked"`     // report DELIVERs answered by DELIVER_RESP
	ReportsDropped   uint64 `json:"reports_dropped"`   // given up after Transmissions sends (or unencodable)
	ReportsCancelled uint64 `json:"reports_cancelled"` // withheld because of a successful CANCEL
	ReportsPending   uint64 `json:"reports_pending"`   // scheduled, queued or unacknowledged now
	MOSent           uint64 `json:"mo_sent"`           // MO DELIVERs sent (first transmission)
	MOResent         uint64 `json:"mo_resent"`         // MO DELIVER retransmissions
	MOAcked          uint64 `json:"mo_acked"`          // MO DELIVERs answered by DELIVER_RESP
	MODropped        uint64 `json:"mo_dropped"`        // MO DELIVERs given up
	Links            int    `json:"links"`             // logged-in links now
	// PeakLinks is the most links logged in at once since start (or
	// since ResetCounts), recorded at each login: a test can assert an
	// account's link limit over a whole run without sampling.
	PeakLinks int `json:"peak_links"`
}

// accountStats holds the counters of one SP_Id. It outlives the account,
// so counts survive RemoveAccount.
type accountStats struct {
	submits, accepted, recipients, flowControlled, rejected, responsesDropped  atomic.Uint64
	reportsSent, reportsResent, reportsAcked, reportsDropped, reportsCancelled atomic.Uint64
	reportsPending                                                             atomic.Int64
	moSent, moResent, moAcked, moDropped                                       atomic.Uint64
	moQueued                                                                   atomic.Int64 // MO DELIVERs not yet acked or dropped
	peakLinks                                                                  atomic.Int64 // most links logged in at once
}

// notePeak records n links logged in at once.
func (st *accountStats) notePeak(n int) {
	for {
		p := st.peakLinks.Load()
		if int64(n) <= p || st.peakLinks.CompareAndSwap(p, int64(n)) {
			return
		}
	}
}

// snapshot returns the counters (Links is filled in by the caller).
func (st *accountStats) snapshot() AccountCounts {
	return AccountCounts{
		Submits:          st.submits.Load(),
		Accepted:         st.accepted.Load(),
		Recipients:       st.recipients.Load(),
		FlowControlled:   st.flowControlled.Load(),
		Rejected:         st.rejected.Load(),
		ResponsesDropped: st.responsesDropped.Load(),
		ReportsSent:      st.reportsSent.Load(),
		ReportsResent:    st.reportsResent.Load(),
		ReportsAcked:     st.reportsAcked.Load(),
		ReportsDropped:   st.reportsDropped.Load(),
		ReportsCancelled: st.reportsCancelled.Load(),
		ReportsPending:   uint64(max(st.reportsPending.Load(), 0)),
		MOSent:           st.moSent.Load(),
		MOResent:         st.moResent.Load(),
		MOAcked:          st.moAcked.Load(),
		MODropped:        st.moDropped.Load(),
		PeakLinks:        int(st.peakLinks.Load()),
	}
}

// reset zeroes the cumulative counters; the gauges (pending reports,
// queued MOs) keep their values because the work they count is still there.
func (st *accountStats) reset() {
	for _, c := range []*atomic.Uint64{&st.submits, &st.accepted, &st.recipients, &st.flowControlled,
		&st.rejected, &st.responsesDropped, &st.reportsSent, &st.reportsResent, &st.reportsAcked,
		&st.reportsDropped, &st.reportsCancelled, &st.moSent, &st.moResent, &st.moAcked, &st.moDropped} {
		c.Store(0)
	}
	st.peakLinks.Store(0) // the next login records the links then
}

// statsLocked returns the counters of spID, creating them on first use;
// s.mu must be held for writing.
func (s *Server) statsLocked(spID string) *accountStats {
	st := s.statsBySP[spID]
	if st == nil {
		st = new(accountStats)
		s.statsBySP[spID] = st
	}
	return st
}

// Counts returns the counters of every SP_Id seen since start, keyed by
// SP_Id, with Links = logged-in links now.
func (s *Server) Counts() map[string]AccountCounts {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]AccountCounts, len(s.statsBySP))
	for sp, st := range s.statsBySP {
		c := st.snapshot()
		if a := s.accounts[sp]; a != nil {
			c.Links = a.linkCount()
			c.PeakLinks = max(c.PeakLinks, c.Links)
		}
		out[sp] = c
	}
	return out
}

// ResetCounts zeroes the cumulative counters of every account.
func (s *Server) ResetCounts() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, st := range s.statsBySP {
		st.reset()
	}
}
