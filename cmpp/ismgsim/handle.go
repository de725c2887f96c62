package ismgsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// handle decodes and handles one frame of a logged-in link. An error ends
// the link: a malformed or unknown PDU, a CONNECT after login, TERMINATE.
func (l *link) handle(frame []byte) error {
	sess := l.session()
	h, err := cmpp.DecodeHeader(frame)
	if err != nil {
		return fmt.Errorf("malformed header: %w", err)
	}
	body := frame[cmpp.HeaderLen:]
	// The two PDUs of the hot path decode into per-link structs.
	switch h.CommandID {
	case cmpp.CmdSubmit:
		if err := l.submit.DecodeBody(body, sess.version); err != nil {
			return fmt.Errorf("malformed SUBMIT seq %d: %w", h.SequenceID, err)
		}
		return l.handleSubmit(h.SequenceID, &l.submit, sess)
	case cmpp.CmdDeliverResp:
		if err := l.deliverResp.DecodeBody(body, sess.version); err != nil {
			return fmt.Errorf("malformed DELIVER_RESP seq %d: %w", h.SequenceID, err)
		}
		if !l.ack(h.SequenceID, &l.deliverResp) {
			sess.log.Debug().Uint32("seq", h.SequenceID).Msg("DELIVER_RESP matches no DELIVER in flight")
		}
		return nil
	}
	_, p, err := cmpp.Decode(frame, sess.version)
	if err != nil {
		return fmt.Errorf("malformed %s seq %d: %w", h.CommandID, h.SequenceID, err)
	}
	switch p := p.(type) {
	case *cmpp.ActiveTest:
		// Answered at once, also when it arrives in place of our
		// ACTIVE_TEST_RESP (§11.1 and the yedamao mock server).
		return l.reply(h.SequenceID, activeTestResp)
	case *cmpp.ActiveTestResp:
		l.probeAnswered.Store(true)
		return nil
	case *cmpp.Terminate:
		if err := l.reply(h.SequenceID, terminateResp); err != nil {
			return err
		}
		return fmt.Errorf("%w: %w", errGraceful, errTerminated)
	case *cmpp.Query:
		return l.reply(h.SequenceID, l.queryResp(p, sess.acct))
	case *cmpp.Cancel:
		resp := &cmpp.CancelResp{SuccessID: 1}
		if sess.acct.cancel(p.MsgID) {
			resp.SuccessID = 0
		}
		sess.log.Debug().Uint32("seq", h.SequenceID).Str("msg_id", p.MsgID.String()).
			Uint32("success_id", resp.SuccessID).Msg("CANCEL")
		return l.reply(h.SequenceID, resp)
	case *cmpp.Connect:
		return fmt.Errorf("CONNECT on a logged-in link")
	default:
		// A response the simulator never asked for (e.g. a late
		// TERMINATE_RESP): nothing to do.
		sess.log.Debug().Uint32("seq", h.SequenceID).Stringer("command", h.CommandID).Msg("unexpected PDU ignored")
		return nil
	}
}

// reply queues a response from the read loop (waiting if the writer lags);
// it is written once the read loop has handled all the input at hand.
func (l *link) reply(seq uint32, p cmpp.PDU) error {
	return l.out.append(l.session().version, seq, p, outAfterInput)
}

// handleSubmit answers one SUBMIT: checks, rate limit, Msg_Id, record,
// status reports, SUBMIT_RESP (subject to the faults).
func (l *link) handleSubmit(seq uint32, sub *cmpp.Submit, sess *session) error {
	srv, acct := l.srv, sess.acct
	st := acct.stats
	f := srv.faults.Load()
	now := time.Now()
	n := len(sub.DestTerminalIDs)

	st.submits.Add(1)
	result := f.ForceResult
	if result == 0 && f.RatioResult != 0 && f.ResultRatio > 0 && rand.Float64() < f.ResultRatio {
		result = f.RatioResult
	}
	if result == 0 {
		result = checkSubmit(sub, acct.cfg.Load(), acct.spID)
	}
	if result == 0 && !acct.bucket.take(max(n, 1), now) {
		result = cmpp.ResultFlowControl
	}
	if result > math.MaxUint8 && !sess.version.Is30() {
		result = math.MaxUint8 // a forced 3.0-only Result on a 2.0 link: "other error"
	}
	id := srv.ids.next(n, now)
	if f.FixedMsgID != nil {
		id = *f.FixedMsgID
	}
	switch result {
	case cmpp.ResultOK:
		st.accepted.Add(1)
		st.recipients.Add(uint64(n))
	case cmpp.ResultFlowControl:
		st.flowControlled.Add(1)
	default:
		st.rejected.Add(1)
	}
	if srv.received.max > 0 {
		rec := ReceivedSegment{
			SPID: acct.spID, LinkID: l.id, Seq: seq, Result: result,
			PkTotal: sub.PkTotal, PkNumber: sub.PkNumber, TPUDHI: sub.TPUDHI, MsgFmt: sub.MsgFmt,
			Content: sub.MsgContent, Recipients: n, SrcID: sub.SrcID, ServiceID: sub.ServiceID,
			MsgSrc: sub.MsgSrc, RegisteredDelivery: sub.RegisteredDelivery, At: now,
		}
		for k, d := range sub.DestTerminalIDs {
			rec.MsgID, rec.Dest = id.AddSequence(k), d
			srv.received.add(&rec)
		}
	}
	if ev := sess.log.Debug(); ev.Enabled() {
		ev.Uint32("seq", seq).Str("msg_id", id.String()).Uint32("result", result).
			Strs("dest", sub.DestTerminalIDs).Uint8("pk_total", sub.PkTotal).Uint8("pk_number", sub.PkNumber).
			Msg("SUBMIT")
	}
	if result == cmpp.ResultOK && sub.RegisteredDelivery == 1 &&
		(f.NoReportRatio == 0 || rand.Float64() >= f.NoReportRatio) {
		l.scheduleReports(sub, id, now, f)
	}

	if f.DropResponseRatio > 0 && rand.Float64() < f.DropResponseRatio {
		st.responsesDropped.Add(1)
		return nil
	}
	if f.ResponseDelay > 0 {
		srv.sched.at(now.Add(f.ResponseDelay), &delayedSubmitResp{link: l, seq: seq,
			resp: cmpp.SubmitResp{MsgID: id, Result: result}})
		return nil
	}
	l.submitResp = cmpp.SubmitResp{MsgID: id, Result: result}
	return l.reply(seq, &l.submitResp)
}

// scheduleReports creates one status report per recipient of an accepted
// SUBMIT (each segment is its own SUBMIT, so one per segment per
// recipient) and schedules it ReportDelay from now.
func (l *link) scheduleReports(sub *cmpp.Submit, id cmpp.MsgID, now time.Time, f *Faults) {
	srv, acct := l.srv, l.session().acct
	submitTime := reportTime(now)
	for k, dest := range sub.DestTerminalIDs {
		stat, ok := f.StatOverride[dest]
		if !ok {
			stat = srv.statMix.pick()
			if f.FailReportRatio > 0 && rand.Float64() < f.FailReportRatio {
				stat = "UNDELIV"
			}
		}
		j := &deliverJob{
			acct: acct, kind: jobReport, prefer: l, id: srv.ids.next(1, now),
			report: cmpp.Report{MsgID: id.AddSequence(k), Stat: stat, SubmitTime: submitTime,
				DestTerminalID: dest, SMSCSequence: srv.smscSeq.Add(1)},
			destID: sub.SrcID, serviceID: sub.ServiceID,
		}
		acct.stats.reportsPending.Add(1)
		acct.track(j)
		if f.ReportBeforeResp {
			j.report.DoneTime = submitTime
			if l.deliverNow(j) {
				continue
			}
		}
		srv.sched.at(now.Add(srv.cfg.ReportDelay), j)
	}
}

// checkSubmit returns the SUBMIT_RESP Result of the content checks (see
// the package documentation), 0 if they pass.
func checkSubmit(sub *cmpp.Submit, cfg *Account, spID string) uint32 {
	if len(sub.DestTerminalIDs) == 0 {
		return cmpp.ResultBadDestTerminal
	}
	for _, d := range sub.DestTerminalIDs {
		if d == "" || (sub.DestTerminalType == 0 && !plausibleMSISDN(d)) {
			return cmpp.ResultBadDestTerminal
		}
	}
	if cfg.SrcIDPrefix != "" && !strings.HasPrefix(sub.SrcID, cfg.SrcIDPrefix) {
		return cmpp.ResultBadSrcID
	}
	if sub.MsgSrc != "" && sub.MsgSrc != spID {
		return cmpp.ResultBadMsgSrc
	}
	return cmpp.ResultOK
}

// plausibleMSISDN accepts 3..21 characters: digits with an optional
// leading '+'.
func plausibleMSISDN(s string) bool {
	if len(s) < 3 || len(s) > 21 {
		return false
	}
	if s[0] == '+' {
		s = s[1:]
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) >= 3
}

// queryResp answers QUERY with the account's all-time totals (the Time and
// Query_Code asked are echoed, not used as filters).
func (l *link) queryResp(q *cmpp.Query, acct *account) *cmpp.QueryResp {
	c := acct.stats.snapshot()
	u32 := func(v uint64) uint32 { return uint32(min(v, math.MaxUint32)) }
	return &cmpp.QueryResp{
		Time: q.Time, QueryType: q.QueryType, QueryCode: q.QueryCode,
		MTTLMsg: u32(c.Submits),
		MTTlusr: u32(c.Recipients),
		MTScs:   u32(c.Accepted),
		MTWT:    u32(c.ReportsPending),
		MTFL:    u32(c.Rejected + c.FlowControlled),
		MOScs:   u32(c.MOAcked),
		MOWT:    u32(uint64(max(acct.stats.moQueued.Load(), 0))),
		MOFL:    u32(c.MODropped),
	}
}

// delayedSubmitResp is a SUBMIT_RESP held back by Faults.ResponseDelay.
type delayedSubmitResp struct {
	link *link
	seq  uint32
	resp cmpp.SubmitResp
}

func (d *delayedSubmitResp) fire(time.Time) {
	sess := d.link.session()
	if sess == nil || d.link.ctx.Err() != nil || d.link.srv.faults.Load().Silent {
		return
	}
	_ = d.link.out.append(sess.version, d.seq, &d.resp, outNow)
}
