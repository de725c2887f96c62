package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// FairChunk is how many jobs one pick of the fair queue takes from a
// tenant while other tenants are active: small enough that a newcomer's
// job is in the next lease batch, large enough to keep the cost per job of
// the picks low.
const FairChunk = 8

// Job is one leased unit of work: one CMPP SUBMIT of one segment to one
// recipient.
type Job struct {
	// ID names the job; pass it back to Submitted, Retry and Extend.
	ID JobID
	// RequestID, Recipient (1-based) and Segment (1-based, = Pk_number)
	// locate the job.
	RequestID          string
	Recipient, Segment int
	// Dest is the recipient number (Dest_terminal_Id).
	Dest string
	// Content is the Msg_Content (UDH included when UDHI).
	Content []byte
	// UDHI is TP_udhi.
	UDHI bool
	// MsgFmt is Msg_Fmt.
	MsgFmt uint8
	// SrcExt is the Src_Id extension of the request.
	SrcExt string
	// PkTotal is the number of segments (Pk_total) and PkNumber ==
	// Segment, except for a CMPP request that carries the customer's own
	// Pk_total/Pk_number (NewRequest.PkTotal/PkNumber).
	PkTotal, PkNumber uint8
	// ValidTime and AtTime are the request's ValId_Time and At_Time.
	ValidTime, AtTime string
	// Attempts counts the leases of this job, this one included (1 on
	// the first lease; a lease lost to a crash counts too).
	Attempts int
}

// leaseWidth is the number of values per job in lease.lua's reply.
const leaseWidth = 11

// Lease takes up to max jobs of channel for owner (a sender instance id),
// in one script: due retries are moved to the head of their tenant's
// queue first, then jobs are popped and leased for LeaseTTL. Jobs of
// cancelled requests are not returned (they become final 'cancelled').
// It returns an empty slice when nothing is pending.
//
// Jobs left in the legacy queue (Keys.Queue, queued by an earlier
// version) go first. Then tenants share the channel by weighted fair
// queueing: each pick serves the active tenant that has received the
// least service for its weight (virtual time: jobs popped / weight), up to
// FairChunk jobs while other tenants wait (all that is wanted when it is
// alone); a tenant that becomes active starts at the current virtual
// time, so it is served at once however long the others' backlogs are,
// and a backlog earns no credit while idle. Within a tenant, priorities
// follow the rule of Priority.
func (s *Store) Lease(ctx context.Context, channel, owner string, max int) ([]Job, error) {
	if err := checkChannel(channel); err != nil {
		return nil, err
	}
	if max < 1 {
		return nil, fmt.Errorf("%w: Lease max %d", ErrInvalid, max)
	}
	now := s.now()
	v, err := s.run(ctx, "lease", scriptLease,
		[]string{s.keys.Queue(channel), s.keys.Sched(channel), s.keys.Lease(channel),
			s.keys.Active(channel), s.keys.VClock(channel), s.keys.Picks(channel), s.keys.EventQueue(channel)},
		s.keys.Tag(channel), ms(now), ms(now.Add(s.opts.LeaseTTL)), max, cleanField(owner),
		secs(s.opts.Retention), nonce(), secs(s.opts.UsageRetention), FairChunk)
	if err != nil {
		return nil, err
	}
	reply, ok := asSlice(v)
	if !ok || len(reply) != 2 {
		return nil, fmt.Errorf("%w: lease reply %T", ErrBadReply, v)
	}
	if err := s.finalized(ctx, stringsOf(reply[1])); err != nil {
		return nil, err
	}
	a, _ := asSlice(reply[0])
	if len(a)%leaseWidth != 0 {
		return nil, fmt.Errorf("%w: lease reply of %d values", ErrBadReply, len(a))
	}
	jobs := make([]Job, 0, len(a)/leaseWidth)
	for i := 0; i < len(a); i += leaseWidth {
		id := JobID(asString(a[i]))
		reqID, r, sg, err := id.Split()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadReply, err)
		}
		fmtV, _ := strconv.Atoi(asString(a[i+4]))
		total, _ := strconv.Atoi(asString(a[i+6]))
		number, _ := strconv.Atoi(asString(a[i+8]))
		jobs = append(jobs, Job{
			ID: id, RequestID: reqID, Recipient: r, Segment: sg,
			Dest: asString(a[i+1]), Content: []byte(asString(a[i+2])),
			UDHI: asString(a[i+3]) == "1", MsgFmt: uint8(fmtV), SrcExt: asString(a[i+5]),
			PkTotal: uint8(total), PkNumber: uint8(number), Attempts: asInt(a[i+7]),
			ValidTime: asString(a[i+9]), AtTime: asString(a[i+10]),
		})
	}
	return jobs, nil
}

// Extend is the lease heartbeat: jobs still leased by owner get a new
// deadline (now + LeaseTTL). It returns the jobs whose lease was lost
// (expired and recovered, or finished), which the caller should abandon
// if it has not sent them yet.
func (s *Store) Extend(ctx context.Context, channel, owner string, jobs []JobID) (lost []JobID, err error) {
	if err := checkChannel(channel); err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 3+len(jobs))
	args = append(args, s.keys.Tag(channel), ms(s.now().Add(s.opts.LeaseTTL)), cleanField(owner))
	for _, j := range jobs {
		args = append(args, string(j))
	}
	v, err := s.run(ctx, "extend", scriptExtend, []string{s.keys.Lease(channel)}, args...)
	if err != nil {
		return nil, err
	}
	for _, j := range stringsOf(v) {
		lost = append(lost, JobID(j))
	}
	return lost, nil
}

// RetryJob asks for a leased job to be sent again later.
type RetryJob struct {
	// ID is the job.
	ID JobID
	// At is when the job becomes due again.
	At time.Time
	// Reason is recorded as the job's error code until it is sent
	// (e.g. "flow_control", "link_lost").
	Reason string
	// Owner, when set, must be the sender holding the lease (the owner
	// given to Lease); a job whose lease expired and was taken over by
	// another sender is then left alone instead of being pulled out from
	// under it.
	Owner string
	// Unsent states that the SUBMIT was definitely not accepted by the
	// ISMG: never written (given back unsent), or answered with a Result
	// that refuses it (e.g. 8, flow control). Otherwise (link lost or a
	// shutdown after writing: the outcome is unknown) the job is marked as
	// possibly sent and MoveUnsent never moves it to another channel.
	Unsent bool
}

// Retry moves leased jobs to the delayed-retry set (state scheduled); Lease
// picks them again once due, ahead of the queue. Only jobs still leased
// move (not those recovered, submitted or final). It returns how many jobs
// were scheduled. To give a job back at once (graceful shutdown), use
// At = now.
func (s *Store) Retry(ctx context.Context, channel string, jobs []RetryJob) (int, error) {
	if err := checkChannel(channel); err != nil {
		return 0, err
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	args := make([]any, 0, 2+5*len(jobs))
	args = append(args, s.keys.Tag(channel), ms(s.now()))
	for _, j := range jobs {
		args = append(args, string(j.ID), ms(j.At), cleanField(j.Reason), j.Owner, boolFlag(j.Unsent))
	}
	v, err := s.run(ctx, "retry", scriptRetry,
		[]string{s.keys.Lease(channel), s.keys.Sched(channel)}, args...)
	if err != nil {
		return 0, err
	}
	return asInt(v), nil
}

// Recovery counts what one Recover call did.
type Recovery struct {
	// Jobs went back to the head of their tenant's queue.
	Jobs int
	// Events became ready again.
	Events int
	// Ended jobs had their lease recovered more than MaxRecoveries times
	// and are now final 'unknown' with ErrCodeWorkerLost.
	Ended int
}

// Recover puts jobs and events whose lease has expired (a crashed or stuck
// sender or webhook worker) back at the head of their queues. Run it
// periodically (e.g. every LeaseTTL/2), from one place per process.
//
// Each expired job lease counts; a job whose lease expired more than
// MaxRecoveries times — its SUBMIT killed or stalled every worker that
// took it — is not queued again but made final 'unknown' with error code
// ErrCodeWorkerLost, its recipient rolled up and its sms.status event
// created as for any final outcome (it may have been sent: the worker may
// have died after writing the SUBMIT). Leases renewed by Extend never
// expire, so they do not count.
//
// Events are not capped: an event's lease expires when its dispatcher
// dies or pauses (a restart, a deploy, a stalled Redis), not because of
// the event — a POST is bounded by the webhook timeout and cannot take the
// process down — and delivering an event again costs a duplicate POST the
// receiver deduplicates by event id, never a second SMS. Counting those
// expiries would dead-letter healthy events in a rolling deploy; an event
// whose delivery fails is bounded by the dispatcher's retry period.
//
// Recover also moves the events left by the previous version of the store
// (event hashes in Keys.LegacyEventQueue and its sets) to the current list
// and sets: ready ones, due retries, expired leases (counted in Events)
// and dead letters, so that they are delivered (or replayable) after an
// upgrade.
func (s *Store) Recover(ctx context.Context, channel string) (Recovery, error) {
	var total Recovery
	if err := checkChannel(channel); err != nil {
		return total, err
	}
	// A failure here must not hold up the jobs' recovery below: it is
	// returned with whatever that finds.
	legacy, legacyErr := s.recoverLegacyEvents(ctx, channel)
	total.Events = legacy
	for {
		v, err := s.run(ctx, "recover", scriptRecover,
			[]string{s.keys.Lease(channel), s.keys.Active(channel), s.keys.EventLease(channel), s.keys.EventQueue(channel),
				s.keys.VClock(channel)},
			s.keys.Tag(channel), ms(s.now()), s.opts.SweepBatch, secs(s.opts.Retention), nonce(),
			s.opts.MaxRecoveries, ErrCodeWorkerLost, secs(s.opts.UsageRetention))
		if err != nil {
			return total, errors.Join(err, legacyErr)
		}
		a, _ := asSlice(v)
		if len(a) != 5 {
			return total, errors.Join(fmt.Errorf("%w: recover reply %v", ErrBadReply, v), legacyErr)
		}
		scanned, evs := asInt(a[1]), asInt(a[2])
		total.Jobs += asInt(a[0])
		total.Events += evs
		total.Ended += asInt(a[3])
		if err := s.finalized(ctx, stringsOf(a[4])); err != nil {
			return total, errors.Join(err, legacyErr)
		}
		if scanned < s.opts.SweepBatch && evs < s.opts.SweepBatch {
			return total, legacyErr
		}
	}
}
