package sender

import (
	"context"

	"github.com/smsbridge/smsbridge/store"
	"sync"
	"time"
)

// maintain runs the channel's periodic work until ctx is done, in two
// goroutines so that one never delays the other: the lease heartbeat for
// jobs in hand (every LeaseTTL/3), and the sweeps — recovery of expired
// leases left by crashed processes, and the report-wait sweep that makes
// segments without a report final as unknown. A sweep can take long (a
// backlog of thousands of segments past the report wait, a slow Redis); if
// it held up the heartbeat, the leases of SUBMITs in flight would expire
// and another replica would send them again. Every replica runs both; the
// scripts are idempotent.
func (c *Channel) maintain(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { c.heartbeat(ctx) })
	wg.Go(func() { c.sweeps(ctx) })
	wg.Wait()
}

// heartbeat extends the leases of the jobs in hand every LeaseTTL/3.
func (c *Channel) heartbeat(ctx context.Context) {
	beat := time.NewTicker(max(c.deps.Store.Options().LeaseTTL/3, 10*time.Millisecond))
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
		}
		ids := c.inHand.list()
		if len(ids) == 0 {
			continue
		}
		lost, err := c.deps.Store.Extend(ctx, c.set.Name, c.deps.Owner, ids)
		if err != nil {
			c.log.Warn().Err(err).Msg("lease heartbeat failed")
			continue
		}
		if len(lost) > 0 {
			// Jobs still waiting for a worker are dropped here (their new
			// owner sends them); those already in flight may go twice.
			c.inHand.markLost(lost)
			c.log.Warn().Int("jobs", len(lost)).Msg("leases lost (expired and taken over); jobs not yet sent are left to their new owner")
		}
	}
}

// sweeps runs sweep at once (a restart recovers what a crash left) and
// then every SweepInterval.
func (c *Channel) sweeps(ctx context.Context) {
	t := time.NewTicker(c.set.SweepInterval)
	defer t.Stop()
	for {
		c.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Channel) sweep(ctx context.Context) {
	if h := c.testHookSweep; h != nil {
		h(ctx)
	}
	if n, err := c.deps.Store.Recover(ctx, c.set.Name); err != nil {
		if ctx.Err() != nil {
			return // stopping
		}
		c.log.Warn().Err(err).Msg("lease recovery failed")
	} else if n != (store.Recovery{}) {
		c.log.Info().Int("jobs", n.Jobs).Int("events", n.Events).Int("ended", n.Ended).Msg("recovered expired leases")
	}
	if n, err := c.deps.Store.SweepReportWait(ctx, c.set.Name, time.Now()); err != nil {
		c.log.Warn().Err(err).Msg("report-wait sweep failed")
	} else if n > 0 {
		c.eventsCreated() // recipients made final may have events
		c.log.Info().Int("jobs", n).Msg("segments without a report made final as unknown")
	}
}
