package store

import (
	"context"
	"fmt"
	"strconv"
)

// SubmitOutcome is what became of one leased job's SUBMIT.
type SubmitOutcome struct {
	// Job is the leased job.
	Job JobID
	// MsgID is the SUBMIT_RESP Msg_Id (22-digit text), required when
	// Result is 0 and Unknown is false. The store treats it as opaque.
	MsgID string
	// Result is the SUBMIT_RESP Result. 0 means accepted: the job waits
	// for its report. Anything else is a final failure (retryable
	// results such as 8 go through Retry instead, until the caller gives
	// up and records them here).
	Result uint32
	// Unknown means no SUBMIT_RESP came after all tries (T×N): the job is
	// final 'unknown' (the SMS may or may not have been sent).
	Unknown bool
	// ErrorCode is recorded for a failed or unknown job; default
	// SubmitResultCode(Result) or ErrCodeNoResponse.
	ErrorCode string
}

// SubmitSummary counts what Submitted did.
type SubmitSummary struct {
	// Submitted jobs now wait for their report; Failed and Unknown are
	// final.
	Submitted, Failed, Unknown int
	// ParkedReports is how many submitted jobs had a report waiting (it
	// came before the SUBMIT_RESP) that was applied at once.
	ParkedReports int
	// Collisions lists the Result 0 outcomes whose MsgID was already
	// mapped to another job still waiting for its report: the first
	// mapping is kept and these jobs are final 'unknown' with
	// ErrCodeMsgIDCollision (they are not counted in Submitted or
	// Unknown).
	Collisions []MsgIDCollision
	// Stale counts outcomes ignored because the job was already submitted
	// or final (a lease lost and the job sent twice), or its request is gone.
	Stale int
	// Events are the ids of events created (recipients that became final).
	Events []string
}

// MsgIDCollision is a SUBMIT_RESP Msg_Id that the ISMG had already given
// to another segment still waiting for its report.
type MsgIDCollision struct {
	// Job is the later job: final 'unknown' with ErrCodeMsgIDCollision.
	Job JobID
	// MsgID is the Msg_Id both jobs were given.
	MsgID string
	// Holder is the job that keeps the mapping (and gets the reports).
	Holder JobID
}

// Submitted records a batch of SUBMIT outcomes in one script: the lease is
// released, a Result 0 maps MsgID to the job (TTL MappingTTL), sets the
// report deadline (ReportWait) and applies a parked report for MsgID if any;
// failures and unknowns make the job final and roll its recipient up.
//
// The mapping is written only if MsgID is not mapped to another job that
// still waits for a report for it (SET NX; the holder is read only when
// that fails). Otherwise the first mapping is kept and the job becomes
// final 'unknown' with ErrCodeMsgIDCollision, listed in
// SubmitSummary.Collisions: its SUBMIT was accepted, so the SMS was
// probably sent, but every report for MsgID goes to the holder, so none
// could ever be matched to it. A mapping to the job itself, or to a job that
// is final (or whose request is gone), is replaced.
func (s *Store) Submitted(ctx context.Context, channel string, outcomes []SubmitOutcome) (SubmitSummary, error) {
	var sum SubmitSummary
	if err := checkChannel(channel); err != nil {
		return sum, err
	}
	if len(outcomes) == 0 {
		return sum, nil
	}
	now := s.now()
	args := make([]any, 0, 8+5*len(outcomes))
	args = append(args, s.keys.Tag(channel), ms(now), ms(now.Add(s.opts.ReportWait)),
		secs(s.opts.MappingTTL), secs(s.opts.Retention), nonce(), ErrCodeMsgIDCollision,
		secs(s.opts.UsageRetention))
	for i, o := range outcomes {
		kind, code := "ok", ""
		switch {
		case o.Unknown:
			kind, code = "unk", o.ErrorCode
			if code == "" {
				code = ErrCodeNoResponse
			}
		case o.Result != 0:
			kind, code = "fail", o.ErrorCode
			if code == "" {
				code = SubmitResultCode(o.Result)
			}
		case o.MsgID == "" || !cleanID(o.MsgID):
			return sum, fmt.Errorf("%w: outcomes[%d].MsgID %q: empty or contains '|'", ErrInvalid, i, o.MsgID)
		}
		res := ""
		if !o.Unknown {
			res = strconv.FormatUint(uint64(o.Result), 10)
		}
		args = append(args, string(o.Job), kind, o.MsgID, res, cleanField(code))
	}
	v, err := s.run(ctx, "submitted", scriptSubmitted,
		[]string{s.keys.Lease(channel), s.keys.Await(channel), s.keys.Parked(channel), s.keys.EventQueue(channel)}, args...)
	if err != nil {
		return sum, err
	}
	a, ok := asSlice(v)
	if !ok || len(a) != 3 {
		return sum, fmt.Errorf("%w: submitted reply %T", ErrBadReply, v)
	}
	codes, finals, holders := stringsOf(a[0]), stringsOf(a[1]), stringsOf(a[2])
	if len(codes) != 2*len(outcomes) {
		return sum, fmt.Errorf("%w: %d submit codes for %d outcomes", ErrBadReply, len(codes), len(outcomes))
	}
	for i := 0; i+1 < len(codes); i += 2 {
		switch codes[i] {
		case "col":
			if len(sum.Collisions) >= len(holders) {
				return sum, fmt.Errorf("%w: %d collision holders", ErrBadReply, len(holders))
			}
			o := outcomes[i/2]
			sum.Collisions = append(sum.Collisions, MsgIDCollision{
				Job: o.Job, MsgID: o.MsgID, Holder: JobID(holders[len(sum.Collisions)])})
		case "ok":
			sum.Submitted++
		case "okr":
			sum.Submitted++
			sum.ParkedReports++
		case "fail":
			sum.Failed++
		case "unk":
			sum.Unknown++
		default:
			sum.Stale++
		}
		if codes[i+1] != "" {
			sum.Events = append(sum.Events, codes[i+1])
		}
	}
	return sum, s.finalized(ctx, finals)
}

// cleanID reports whether an id is usable inside compact encodings.
func cleanID(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] == '|' {
			return false
		}
	}
	return true
}
