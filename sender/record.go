package sender

import (
	"context"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// Outcomes are stored through c.acks, a batcher: a worker waits until its
// outcome is durable before it takes another job. That bounds what a crash
// can send twice to what the workers had in hand — at most window × links
// SUBMITs — while one script call still records a whole batch.

// record writes one batch: results through Submitted, retries through
// Retry. A failed write is retried until ctx ends; the jobs' leases are
// extended meanwhile, and if the process dies they are sent again.
//
// The jobs are settling in inHand from before the first store call until
// they leave it after the last: the calls end their leases, and the
// heartbeat must not take that for a loss. A lease that had really been
// lost before the call shows in its result instead (an outcome found
// stale, a retry not scheduled) and is logged here.
func (c *Channel) record(ctx context.Context, batch []outcome) ([]struct{}, error) {
	var done []store.SubmitOutcome
	var retry []store.RetryJob
	for _, o := range batch {
		c.inHand.settle(o.id, o.lease)
		if o.done != nil {
			done = append(done, *o.done)
		} else {
			r := *o.retry
			r.Owner = c.deps.Owner
			retry = append(retry, r)
		}
		if c.deps.Metrics != nil {
			c.deps.Metrics.Submits.WithLabelValues(c.set.Name, o.label).Inc()
		}
	}
	c.countOutcomes(batch)
	fail := backoffCounter{base: 50 * time.Millisecond, max: 2 * time.Second}
	for len(done) > 0 {
		sum, err := c.deps.Store.Submitted(ctx, c.set.Name, done)
		if err == nil {
			if len(sum.Events) > 0 {
				c.eventsCreated()
			}
			c.collided(sum.Collisions)
			// After a failed call, stale may be that call's own doing.
			if sum.Stale > 0 && fail.attempt == 0 {
				c.log.Warn().Int("jobs", sum.Stale).Msg("SUBMIT outcomes ignored: job already submitted or final (lease lost and taken over: it may have been sent twice)")
			}
			break
		}
		c.log.Warn().Err(err).Int("outcomes", len(done)).Msg("storing SUBMIT outcomes failed; retrying")
		if !sleep(ctx, fail.next()) {
			return nil, ctx.Err() // leases expire; the jobs are sent again
		}
	}
	fail.reset()
	for len(retry) > 0 {
		n, err := c.deps.Store.Retry(ctx, c.set.Name, retry)
		if err == nil {
			if n < len(retry) && fail.attempt == 0 {
				c.log.Warn().Int("jobs", len(retry)-n).Msg("retries not scheduled: leases lost (expired and taken over); the jobs are left to their new owner")
			}
			break
		}
		c.log.Warn().Err(err).Int("jobs", len(retry)).Msg("scheduling retries failed; retrying")
		if !sleep(ctx, fail.next()) {
			return nil, ctx.Err()
		}
	}
	if c.afterStore != nil {
		c.afterStore()
	}
	for _, o := range batch {
		c.inHand.remove(o.id, o.lease)
	}
	return nil, nil
}

// countOutcomes adds a batch of SUBMIT outcomes to Deps.Health.
// Retries other than problem Results (Result 8, lost link, shutdown) say
// nothing about the channel's failure share and are not counted.
func (c *Channel) countOutcomes(batch []outcome) {
	if c.deps.Health == nil {
		return
	}
	var accepted, refused, problems int
	for _, o := range batch {
		switch {
		case o.problem:
			problems++
		case o.done == nil:
		case o.done.Result == 0 && !o.done.Unknown:
			accepted++
		default:
			refused++
		}
	}
	c.deps.Health.Count(c.set.Name, accepted, refused, problems, 0, 0)
}

// countReports adds the matched reports of a batch (outs answers reps in
// order) to Deps.Health: those with a Stat other than DELIVRD failed.
func (c *Channel) countReports(reps []store.ReportIn, outs []store.ReportOutcome) {
	if c.deps.Health == nil || len(outs) != len(reps) {
		return
	}
	var matched, failed int
	for i, o := range outs {
		if o.Result != store.ReportMatched {
			continue
		}
		matched++
		if reps[i].Stat != store.CMPPStatDelivered {
			failed++
		}
	}
	if matched > 0 {
		c.deps.Health.Count(c.set.Name, 0, 0, 0, matched, failed)
	}
}

// collided logs and counts the Msg_Id collisions of one Submitted call: the
// ISMG answered a Msg_Id already given to another segment that still waits
// for its report. The store kept the first mapping and made the later
// segment final unknown (msg_id_collision).
func (c *Channel) collided(cols []store.MsgIDCollision) {
	for _, col := range cols {
		ev := c.collisionLog.Warn().Str("msg_id", col.MsgID).Str("job", string(col.Job)).Str("holder", string(col.Holder))
		if req, r, s, err := col.Job.Split(); err == nil {
			ev = ev.Str("request_id", req).Int("recipient", r).Int("segment", s)
		}
		ev.Msg("SUBMIT_RESP Msg_Id already mapped to another segment awaiting its report; segment final unknown (msg_id_collision)")
		if c.deps.Metrics != nil {
			c.deps.Metrics.MsgIDCollisions.WithLabelValues(c.set.Name).Inc()
		}
	}
}

// collisionLogBurst is how many Msg_Id collisions a channel logs per
// second; smsbridge_msgid_collisions_total counts every one.
const collisionLogBurst = 10
