package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ReportIn is one status report (a DELIVER with Registered_Delivery 1).
type ReportIn struct {
	// MsgID is the reported Msg_Id (22-digit text, as in SUBMIT_RESP).
	MsgID string
	// Stat is the report Stat: DELIVRD is success, ACCEPTD is not final,
	// anything else is a failure (recorded as the error code).
	Stat string
	// DoneTime and SubmitTime are YYMMDDHHMM as received.
	DoneTime, SubmitTime string
	// Dest is the report's Dest_terminal_Id.
	Dest string
}

// ReportResult says what a report did.
type ReportResult string

// Report results.
const (
	// ReportMatched: the job is now final (delivered or failed).
	ReportMatched ReportResult = "matched"
	// ReportInterim: an ACCEPTD report was recorded; the job still waits.
	ReportInterim ReportResult = "interim"
	// ReportParked: the Msg_Id is not known yet (report before
	// SUBMIT_RESP); the report is kept for ParkTTL and applied by
	// Submitted.
	ReportParked ReportResult = "parked"
	// ReportDuplicate: the job is final already (or not waiting for this
	// Msg_Id); the report is ignored.
	ReportDuplicate ReportResult = "duplicate"
)

// ReportOutcome is the result of one ReportIn.
type ReportOutcome struct {
	// MsgID is the report's Msg_Id.
	MsgID string
	// Result says what happened.
	Result ReportResult
	// Job is the matched job ("" when parked).
	Job JobID
	// EventID is the sms.status event created when the report made its
	// recipient final (and the request has a callback URL), else "".
	EventID string
	// SubmittedAt is when the matched job's SUBMIT_RESP was recorded (zero
	// unless Result is ReportMatched or ReportInterim), for the
	// submit-to-report latency.
	SubmittedAt time.Time
}

// Reports applies a batch of status reports in one script, and returns one
// outcome per report, in order.
func (s *Store) Reports(ctx context.Context, channel string, reps []ReportIn) ([]ReportOutcome, error) {
	if err := checkChannel(channel); err != nil {
		return nil, err
	}
	if len(reps) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 6+5*len(reps))
	args = append(args, s.keys.Tag(channel), ms(s.now()), secs(s.opts.ParkTTL),
		secs(s.opts.Retention), nonce(), secs(s.opts.UsageRetention))
	for i, r := range reps {
		if r.MsgID == "" || !cleanID(r.MsgID) {
			return nil, fmt.Errorf("%w: reports[%d].MsgID %q: empty or contains '|'", ErrInvalid, i, r.MsgID)
		}
		stat := strings.TrimSpace(r.Stat)
		if stat == "" {
			stat = "UNKNOWN"
		}
		args = append(args, r.MsgID, cleanField(stat), cleanField(r.SubmitTime),
			cleanField(r.DoneTime), cleanField(r.Dest))
	}
	v, err := s.run(ctx, "reports", scriptReports,
		[]string{s.keys.Await(channel), s.keys.Parked(channel), s.keys.EventQueue(channel)}, args...)
	if err != nil {
		return nil, err
	}
	codes, finals, err := codesAndFinals(v)
	if err != nil {
		return nil, err
	}
	if len(codes) != 4*len(reps) {
		return nil, fmt.Errorf("%w: %d report codes for %d reports", ErrBadReply, len(codes), len(reps))
	}
	out := make([]ReportOutcome, len(reps))
	for i := range reps {
		c := codes[4*i : 4*i+4]
		o := ReportOutcome{MsgID: reps[i].MsgID, Job: JobID(c[1]), EventID: c[2], SubmittedAt: fromMS(c[3])}
		switch c[0] {
		case "m":
			o.Result = ReportMatched
		case "i":
			o.Result = ReportInterim
		case "p":
			o.Result = ReportParked
		default:
			o.Result = ReportDuplicate
		}
		out[i] = o
	}
	return out, s.finalized(ctx, finals)
}

// SweepReportWait makes every submitted job whose report deadline
// (submitted_at + ReportWait) is before now final 'unknown' with error
// code ErrCodeReportTimeout, rolling recipients up and creating their
// events. It returns how many jobs it swept. Run it periodically.
func (s *Store) SweepReportWait(ctx context.Context, channel string, now time.Time) (int, error) {
	if err := checkChannel(channel); err != nil {
		return 0, err
	}
	total := 0
	for {
		v, err := s.run(ctx, "sweep report wait", scriptSweep,
			[]string{s.keys.Await(channel), s.keys.EventQueue(channel)},
			s.keys.Tag(channel), ms(now), s.opts.SweepBatch, secs(s.opts.Retention), nonce(), ErrCodeReportTimeout,
			secs(s.opts.UsageRetention))
		if err != nil {
			return total, err
		}
		a, _ := asSlice(v)
		if len(a) != 3 {
			return total, fmt.Errorf("%w: sweep reply %v", ErrBadReply, v)
		}
		total += asInt(a[0])
		if err := s.finalized(ctx, stringsOf(a[2])); err != nil {
			return total, err
		}
		if asInt(a[1]) < s.opts.SweepBatch {
			return total, nil
		}
	}
}
