package sender

import (
	"context"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// heartbeat extends the leases of the jobs in hand every LeaseTTL/3, in
// its own goroutine: nothing else the channel does can delay it, so the
// lease of a SUBMIT whose answer is slow never expires while this process
// holds it. Expired leases of other processes are recovered by the
// maintainer (internal/maintain), not here.
func (c *Channel) heartbeat(ctx context.Context) {
	beat := time.NewTicker(max(c.deps.Store.Options().LeaseTTL/3, 10*time.Millisecond))
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
		}
		c.beat(ctx)
	}
}

// beat is one heartbeat: it extends the leases in hand and marks those
// found lost. It returns how many it marked.
func (c *Channel) beat(ctx context.Context) int {
	listed := c.inHand.list()
	if len(listed) == 0 {
		return 0
	}
	ids := make([]store.JobID, 0, len(listed))
	for id := range listed {
		ids = append(ids, id)
	}
	lost, err := c.deps.Store.Extend(ctx, c.set.Name, c.deps.Owner, ids)
	if err != nil {
		c.log.Warn().Err(err).Msg("lease heartbeat failed")
		return 0
	}
	// Jobs still waiting for a worker are dropped here (their new owner
	// sends them); those already in flight may go twice. A job recorded
	// since the list, or whose outcome is being stored (settling: the
	// store call ended its lease), is not lost.
	n := c.inHand.markLost(lost, listed)
	if n > 0 {
		c.log.Warn().Int("jobs", n).Msg("leases lost (expired and taken over); jobs not yet sent are left to their new owner")
	}
	return n
}
