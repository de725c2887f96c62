package ismgsim

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// Life cycle of a deliverJob (state field).
const (
	jobWaiting int32 = iota // scheduled or queued, never transmitted
	jobSent                 // transmitted at least once, not yet answered
	jobDone                 // acknowledged, dropped, cancelled or discarded
)

// jobKind tells a status report from an MO message.
type jobKind uint8

const (
	jobReport jobKind = iota
	jobMO
)

// deliverJob is one DELIVER the simulator owes an account: a status report
// for one segment and one recipient, or one MO segment. It moves from the
// scheduler to an account's held queue or a link's backlog, then into the
// link's window until acknowledged. It is owned by one of them at a time.
type deliverJob struct {
	acct   *account
	kind   jobKind
	state  atomic.Int32
	prefer *link      // link to use if still logged in (the submitting one, or the MO round robin)
	id     cmpp.MsgID // this DELIVER's own header Msg_Id
	sends  int        // transmissions so far, on any link (guarded by the owning link's wmu)

	report    cmpp.Report // kind == jobReport
	destID    string      // DELIVER Dest_Id: the MO's To, or the reported SUBMIT's Src_Id
	serviceID string

	srcTerminalID string // MO sender
	content       []byte // MO segment (UDH included)
	tpUDHI        uint8
	msgFmt        uint8
	linkID        string // MO LinkID (3.0 links only)
}

// fire runs when a scheduled report becomes due.
func (j *deliverJob) fire(now time.Time) {
	if j.state.Load() == jobDone {
		return // cancelled
	}
	j.report.DoneTime = reportTime(now)
	j.acct.dispatch(j)
}

// build fills d with the DELIVER for a link of version v. scratch is a
// buffer the report Msg_Content may be built in; the possibly grown buffer
// is returned.
func (j *deliverJob) build(d *cmpp.Deliver, v cmpp.Version, shortReports bool, scratch []byte) ([]byte, error) {
	*d = cmpp.Deliver{MsgID: j.id, DestID: j.destID, ServiceID: j.serviceID}
	if j.kind == jobReport {
		content, err := j.report.Append(scratch[:0], shortReports || !v.Is30())
		if err != nil {
			return scratch, err
		}
		d.SrcTerminalID = j.report.DestTerminalID
		d.RegisteredDelivery = 1
		d.MsgContent = content
		return content, nil
	}
	d.SrcTerminalID = j.srcTerminalID
	d.TPUDHI = j.tpUDHI
	d.MsgFmt = j.msgFmt
	d.MsgContent = j.content
	if v.Is30() {
		d.LinkID = j.linkID
	}
	return scratch, nil
}

// countTransmission counts a send: the first one ever as sent, any later
// one (timeout resend, or a move to another link) as resent.
func (j *deliverJob) countTransmission(first bool) {
	st := j.acct.stats
	switch {
	case j.kind == jobReport && first:
		st.reportsSent.Add(1)
	case j.kind == jobReport:
		st.reportsResent.Add(1)
	case first:
		st.moSent.Add(1)
	default:
		st.moResent.Add(1)
	}
}

// outcome is how a job ended.
type outcome uint8

const (
	outcomeAcked outcome = iota
	outcomeDropped
	outcomeDiscarded // account removed or server closing
)

// finish ends the job once, updating the counters and gauges.
func (j *deliverJob) finish(o outcome) {
	if j.state.Swap(jobDone) == jobDone {
		return
	}
	st := j.acct.stats
	if j.kind == jobReport {
		st.reportsPending.Add(-1)
		switch o {
		case outcomeAcked:
			st.reportsAcked.Add(1)
		case outcomeDropped:
			st.reportsDropped.Add(1)
		}
		return
	}
	st.moQueued.Add(-1)
	switch o {
	case outcomeAcked:
		st.moAcked.Add(1)
	case outcomeDropped:
		st.moDropped.Add(1)
	}
}

// discard ends a job that can no longer be delivered.
func (j *deliverJob) discard() { j.finish(outcomeDiscarded) }

// inflightDeliver is one DELIVER in a link's window.
type inflightDeliver struct {
	seq    uint32
	job    *deliverJob
	sentAt time.Time
}

// jobQueue is a FIFO of jobs.
type jobQueue struct {
	items []*deliverJob
	head  int
}

func (q *jobQueue) len() int { return len(q.items) - q.head }

func (q *jobQueue) push(j *deliverJob) {
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	q.items = append(q.items, j)
}

func (q *jobQueue) pop() *deliverJob {
	j := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head > 64 && q.head*2 >= len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return j
}

// takeAll empties the queue and returns its jobs.
func (q *jobQueue) takeAll() []*deliverJob {
	out := append([]*deliverJob(nil), q.items[q.head:]...)
	q.items, q.head = nil, 0
	return out
}

// enqueue queues a DELIVER on the link and sends it if the window allows.
// It returns false when the link is closed (the caller re-dispatches).
func (l *link) enqueue(j *deliverJob) bool {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.closed {
		return false
	}
	l.backlog.push(j)
	l.pumpLocked(time.Now(), outMayHold)
	return true
}

// deliverNow transmits j at once if the window has room and nothing is
// queued before it (Faults.ReportBeforeResp). It reports whether j was
// taken.
func (l *link) deliverNow(j *deliverJob) bool {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if !l.ready || l.closed || l.backlog.len() > 0 || len(l.inflight) >= DeliverWindow || l.srv.faults.Load().Silent {
		return false
	}
	l.transmitFirstLocked(j, time.Now(), outAfterInput)
	return true
}

// pump fills the window from the backlog.
func (l *link) pump() {
	l.wmu.Lock()
	l.pumpLocked(time.Now(), outMayHold)
	l.wmu.Unlock()
}

// setReady lets DELIVERs out once the CONNECT_RESP is queued ahead of them
// (read loop).
func (l *link) setReady() {
	l.wmu.Lock()
	l.ready = true
	l.pumpLocked(time.Now(), outAfterInput)
	l.wmu.Unlock()
}

// pumpLocked sends queued DELIVERs while the window has room; u is how
// their output is written (outAfterInput on the read loop). Off the read
// loop, a window it filled is written at once: nothing can join the batch
// before the SP answers it.
func (l *link) pumpLocked(now time.Time, u urgency) {
	if !l.ready || l.closed || l.srv.faults.Load().Silent {
		return
	}
	sent := false
	for !l.closed && len(l.inflight) < DeliverWindow && l.backlog.len() > 0 {
		l.transmitFirstLocked(l.backlog.pop(), now, u)
		sent = true
	}
	if sent && u != outAfterInput && len(l.inflight) >= DeliverWindow {
		l.out.flush()
	}
}

// transmitFirstLocked puts a job into the window with a new Sequence_Id.
func (l *link) transmitFirstLocked(j *deliverJob, now time.Time, u urgency) {
	first := false
	switch j.state.Load() {
	case jobDone:
		return // cancelled while queued
	case jobWaiting:
		if !j.state.CompareAndSwap(jobWaiting, jobSent) {
			return // lost to a CANCEL
		}
		first = true
		if j.kind == jobReport {
			j.acct.untrack(j)
		}
	}
	if j.sends >= l.srv.cfg.Transmissions {
		// Already sent N times, on a link that went down before answering.
		l.dropLocked(j, 0)
		return
	}
	seq := l.nextSeq()
	if err := l.transmitLocked(j, seq, u); err != nil {
		if errors.Is(err, errOutClosed) {
			// The link is closing (its output is shut, drainJobs has not
			// run yet): keep the DELIVER for drainJobs to hand to another
			// link, and take no more. Dropping it here lost reports that
			// a closing link's sibling had just re-dispatched to it.
			l.closed = true
			l.backlog.push(j)
			return
		}
		l.log().Error().Err(err).Str("msg_id", j.id.String()).Msg("cannot encode DELIVER for this link; dropped")
		j.finish(outcomeDropped)
		return
	}
	j.sends++
	j.countTransmission(first)
	l.inflight = append(l.inflight, inflightDeliver{seq: seq, job: j, sentAt: now})
}

// transmitLocked encodes and queues the DELIVER of j with Sequence_Id seq,
// to be written as u says.
func (l *link) transmitLocked(j *deliverJob, seq uint32, u urgency) error {
	sess := l.session()
	var err error
	l.scratchContent, err = j.build(&l.scratchDeliver, sess.version, l.srv.cfg.ShortReports, l.scratchContent)
	if err != nil {
		return err
	}
	err = l.out.append(sess.version, seq, &l.scratchDeliver, u)
	l.scratchDeliver = cmpp.Deliver{}
	return err
}

// ack handles a DELIVER_RESP: the DELIVER with that Sequence_Id leaves the
// window. It reports whether one did.
func (l *link) ack(seq uint32, resp *cmpp.DeliverResp) bool {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	for i := range l.inflight {
		f := l.inflight[i]
		if f.seq != seq {
			continue
		}
		if resp.MsgID != f.job.id {
			l.log().Debug().Uint32("seq", seq).Str("msg_id", resp.MsgID.String()).
				Str("want_msg_id", f.job.id.String()).Msg("DELIVER_RESP Msg_Id does not echo the DELIVER's")
		}
		if resp.Result != 0 {
			l.log().Debug().Uint32("seq", seq).Uint32("result", resp.Result).Msg("DELIVER_RESP with non-zero Result")
		}
		last := len(l.inflight) - 1
		l.inflight[i] = l.inflight[last]
		l.inflight[last] = inflightDeliver{}
		l.inflight = l.inflight[:last]
		f.job.finish(outcomeAcked)
		l.pumpLocked(time.Now(), outAfterInput)
		return true
	}
	return false
}

// resendDue retransmits DELIVERs unanswered for ResponseTimeout (same
// Sequence_Id) and drops those already sent Transmissions times (counting
// sends on every link the DELIVER went through).
func (l *link) resendDue(now time.Time) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.closed || l.srv.faults.Load().Silent {
		return
	}
	timeout, maxSends := l.srv.cfg.ResponseTimeout, l.srv.cfg.Transmissions
	for i := 0; i < len(l.inflight); {
		f := &l.inflight[i]
		if now.Sub(f.sentAt) < timeout {
			i++
			continue
		}
		if f.job.sends >= maxSends {
			l.dropLocked(f.job, f.seq)
			last := len(l.inflight) - 1
			l.inflight[i] = l.inflight[last]
			l.inflight[last] = inflightDeliver{}
			l.inflight = l.inflight[:last]
			continue
		}
		if err := l.transmitLocked(f.job, f.seq, outMayHold); err != nil {
			l.log().Error().Err(err).Msg("cannot re-encode DELIVER") // cannot happen: it encoded before
		}
		f.job.sends++
		f.sentAt = now
		f.job.countTransmission(false)
		i++
	}
	l.pumpLocked(now, outMayHold)
}

// dropLocked gives up a DELIVER sent Transmissions times without answer.
func (l *link) dropLocked(j *deliverJob, seq uint32) {
	ev := l.log().Warn().Uint32("seq", seq).Str("msg_id", j.id.String()).Int("sends", j.sends).
		Bool("report", j.kind == jobReport)
	if j.kind == jobReport {
		ev = ev.Str("report_msg_id", j.report.MsgID.String())
	}
	ev.Msg("DELIVER unanswered after all transmissions; dropped")
	j.finish(outcomeDropped)
}

// drainJobs closes the window and returns every job still queued or
// unanswered on the link.
func (l *link) drainJobs() []*deliverJob {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.closed = true
	jobs := make([]*deliverJob, 0, len(l.inflight)+l.backlog.len())
	for _, f := range l.inflight {
		jobs = append(jobs, f.job)
	}
	l.inflight = nil
	return append(jobs, l.backlog.takeAll()...)
}
