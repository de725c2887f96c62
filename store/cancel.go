package store

import (
	"context"
	"fmt"
)

// CancelResult is what CancelRequest did.
type CancelResult struct {
	// Channel is the request's channel (pass it to RecordCancel).
	Channel string
	// Cancelled is the number of queued or scheduled jobs now cancelled.
	Cancelled int
	// InFlight is the number of leased jobs (being sent): they cannot be
	// stopped here; call CancelRequest again once they are submitted.
	InFlight int
	// Submitted are jobs waiting for their report; send CMPP_CANCEL for
	// each MsgID and record the answers with RecordCancel.
	Submitted []CancelTarget
	// Parts are the results of the request's other channels (a request
	// routed over several, see NewRequest.RecipientChannels), each with
	// its Channel and Submitted jobs; Cancelled and InFlight above count
	// them too.
	Parts []*CancelResult
}

// CancelTarget is a submitted job that may still be cancelled at the ISMG.
type CancelTarget struct {
	// Job is the job.
	Job JobID
	// MsgID is its Msg_Id.
	MsgID string
	// Recipient is the job's public recipient index (in a part, Job holds
	// the part's own index).
	Recipient int
}

// CancelRequest cancels what is cancellable in request id, in one script:
// queued and scheduled jobs become final 'cancelled' (recipients roll up;
// events are created), the request is marked so that Lease drops its jobs,
// and submitted jobs are returned for CMPP_CANCEL. Calling it again is
// harmless. ErrNotFound for an unknown request.
func (s *Store) CancelRequest(ctx context.Context, id string) (*CancelResult, error) {
	ch, err := s.ChannelOf(ctx, id)
	if err != nil {
		return nil, err
	}
	if multi, err := s.partsOf(ctx, ch, id); err != nil || multi {
		if err != nil {
			return nil, err
		}
		return s.cancelParts(ctx, ch, id)
	}
	return s.cancelOne(ctx, ch, id)
}

// cancelOne cancels the hash of request id on channel ch (following a
// MoveQueued in progress).
func (s *Store) cancelOne(ctx context.Context, ch, id string) (*CancelResult, error) {
	v, err := s.cancel(ctx, ch, id)
	if err != nil {
		return nil, err
	}
	if a, _ := asSlice(v); len(a) == 2 && asString(a[0]) == "mv" {
		// MoveQueued is moving the request: cancel the copy on the target
		// (the source copy is dead). Not there yet: the move must finish.
		ch = asString(a[1])
		if v, err = s.cancel(ctx, ch, id); err != nil {
			return nil, err
		}
		if v == nil {
			return nil, fmt.Errorf("%w: request %s is moving to channel %s: run MoveQueued again, then retry",
				ErrUnavailable, id, ch)
		}
	}
	if v == nil {
		return nil, fmt.Errorf("%w: request %s", ErrNotFound, id)
	}
	a, ok := asSlice(v)
	if !ok || len(a) != 4 {
		return nil, fmt.Errorf("%w: cancel reply %v", ErrBadReply, v)
	}
	res := &CancelResult{Channel: ch, Cancelled: asInt(a[0]), InFlight: asInt(a[1])}
	sub := stringsOf(a[2])
	for i := 0; i+1 < len(sub); i += 2 {
		_, r, _, _ := JobID(sub[i]).Split()
		res.Submitted = append(res.Submitted, CancelTarget{Job: JobID(sub[i]), MsgID: sub[i+1], Recipient: r})
	}
	return res, s.finalized(ctx, stringsOf(a[3]))
}

// cancel runs cancel.lua for request id on channel ch.
func (s *Store) cancel(ctx context.Context, ch, id string) (any, error) {
	return s.run(ctx, "cancel request", scriptCancel,
		[]string{s.keys.Request(ch, id), s.keys.Sched(ch), s.keys.EventQueue(ch)},
		s.keys.Tag(ch), ms(s.now()), secs(s.opts.Retention), nonce(), id, secs(s.opts.UsageRetention))
}

// CancelOutcome is the CMPP_CANCEL answer for one submitted job.
type CancelOutcome struct {
	// Job and MsgID are from CancelResult.Submitted.
	Job   JobID
	MsgID string
	// Cancelled is true when CANCEL_RESP Success_Id was 0.
	Cancelled bool
}

// RecordCancel stores CMPP_CANCEL answers: a cancelled job becomes final
// 'cancelled' (no report will come); a refused one keeps waiting for its
// report with error code "cancel_failed". It returns how many outcomes
// applied (jobs still submitted with that Msg_Id).
func (s *Store) RecordCancel(ctx context.Context, channel string, outcomes []CancelOutcome) (int, error) {
	if err := checkChannel(channel); err != nil {
		return 0, err
	}
	if len(outcomes) == 0 {
		return 0, nil
	}
	args := make([]any, 0, 5+3*len(outcomes))
	args = append(args, s.keys.Tag(channel), ms(s.now()), secs(s.opts.Retention), nonce(),
		secs(s.opts.UsageRetention))
	for _, o := range outcomes {
		args = append(args, string(o.Job), o.MsgID, boolFlag(o.Cancelled))
	}
	v, err := s.run(ctx, "record cancel", scriptRecordCancel,
		[]string{s.keys.Await(channel), s.keys.EventQueue(channel)}, args...)
	if err != nil {
		return 0, err
	}
	a, ok := asSlice(v)
	if !ok || len(a) != 2 {
		return 0, fmt.Errorf("%w: record cancel reply %v", ErrBadReply, v)
	}
	return asInt(a[0]), s.finalized(ctx, stringsOf(a[1]))
}
