package sender

import (
	"context"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// lease moves jobs from the store to the workers until ctx is done. It
// leases only what the workers can take (free room in the jobs buffer,
// sized links × window), and only while a link is up. Leased jobs wait for
// rate tokens before they are handed over, so the limit counts real sends;
// each job goes to the workers as soon as its token is granted, so a batch
// is spread over time at the channel's rate rather than released in one
// burst once its last token is granted.
func (c *Channel) lease(ctx context.Context) {
	poll := backoffCounter{base: time.Millisecond, max: c.set.IdlePoll}
	fail := backoffCounter{base: 100 * time.Millisecond, max: 5 * time.Second}
	for ctx.Err() == nil {
		if !c.Ready() || c.down() {
			if c.down() {
				// Failed over: what was leased for the workers and not
				// taken goes back, so the mover can hand it to another
				// channel (it stayed leased, its lease kept by the
				// heartbeat, as long as the links stayed dead).
				c.releaseUnsent("failed_over")
			} else if !c.Ready() && c.slots != nil {
				// Its links were revoked (no slot): what was leased for
				// them goes back for the replicas that hold slots.
				c.releaseUnsent("no_link_slot")
			}
			c.idle(ctx, c.set.IdlePoll)
			continue
		}
		free := cap(c.jobs) - len(c.jobs)
		if free == 0 {
			// a worker took a job, or look again: with its links dead no
			// worker takes one, and a failed-over channel must give its
			// buffer back (above)
			t := time.NewTimer(c.set.IdlePoll)
			select {
			case <-c.room:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
			continue
		}
		jobs, err := c.deps.Store.Lease(ctx, c.set.Name, c.deps.Owner, min(free, c.set.LeaseBatch, c.flow.leaseCap()))
		if err != nil {
			if ctx.Err() == nil {
				c.log.Warn().Err(err).Msg("lease failed")
				sleep(ctx, fail.next())
			}
			continue
		}
		fail.reset()
		if len(jobs) == 0 {
			c.idle(ctx, poll.next())
			continue
		}
		poll.reset()
		for _, j := range jobs {
			c.inHand.add(j.ID, j.Attempts)
		}
		for len(jobs) > 0 {
			n, err := c.takeTokens(ctx, len(jobs))
			if err != nil {
				c.giveBack(jobs, "shutdown")
				return
			}
			for _, j := range jobs[:n] {
				c.jobs <- j // never blocks: the batch fit the free room
			}
			jobs = jobs[n:]
		}
	}
}

// down reports whether the channel is failed over (Deps.Health): it then
// leases nothing, and what is queued waits or is moved to other channels.
func (c *Channel) down() bool { return c.deps.Health != nil && c.deps.Health.Down(c.set.Name) }

// idle waits for d, a JobsQueued signal of the channel, or the end of
// ctx.
func (c *Channel) idle(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.deps.Wake.Jobs(c.set.Name):
	case <-ctx.Done():
	}
}

// giveBack returns leased jobs to the queue at once (best effort: if Redis
// is unreachable their leases expire and Recover returns them).
func (c *Channel) giveBack(jobs []store.Job, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	back := make([]store.RetryJob, len(jobs))
	now := time.Now()
	for i, j := range jobs {
		// never written: another channel may send them (MoveUnsent)
		back[i] = store.RetryJob{ID: j.ID, At: now, Reason: reason, Owner: c.deps.Owner, Unsent: true}
		c.inHand.settle(j.ID, j.Attempts) // Retry ends the leases: no loss
	}
	if _, err := c.deps.Store.Retry(ctx, c.set.Name, back); err != nil {
		c.log.Warn().Err(err).Int("jobs", len(jobs)).Msg("could not give back jobs; they return when their lease expires")
		return
	}
	for _, j := range jobs {
		c.inHand.remove(j.ID, j.Attempts)
	}
}
