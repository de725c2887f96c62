package sender

import (
	"context"
	"time"
)

// maintain runs the channel's periodic work until ctx is done: the lease
// heartbeat for jobs in hand (every LeaseTTL/3), recovery of expired leases
// left by crashed processes, and the report-wait sweep that makes
// segments without a report final as unknown. Every replica runs it; the
// scripts are idempotent.
func (c *Channel) maintain(ctx context.Context) {
	leaseTTL := c.deps.Store.Options().LeaseTTL
	beat := time.NewTicker(max(leaseTTL/3, 10*time.Millisecond))
	defer beat.Stop()
	sweep := time.NewTicker(c.set.SweepInterval)
	defer sweep.Stop()
	c.sweep(ctx) // a restart recovers what a crash left at once
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
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
				c.log.Warn().Int("jobs", len(lost)).Msg("leases lost (expired and taken over); these may be sent twice")
			}
		case <-sweep.C:
			c.sweep(ctx)
		}
	}
}

func (c *Channel) sweep(ctx context.Context) {
	if n, err := c.deps.Store.Recover(ctx, c.set.Name); err != nil {
		c.log.Warn().Err(err).Msg("lease recovery failed")
	} else if n > 0 {
		c.log.Info().Int("jobs", n).Msg("recovered expired leases")
	}
	if n, err := c.deps.Store.SweepReportWait(ctx, c.set.Name, time.Now()); err != nil {
		c.log.Warn().Err(err).Msg("report-wait sweep failed")
	} else if n > 0 {
		c.log.Info().Int("jobs", n).Msg("segments without a report made final as unknown")
	}
}
