package sender

import (
	"context"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// storeOutcomes records worker outcomes in batches until c.outcomes is
// closed and drained. A batch is whatever is waiting when the previous one
// finishes (up to 512), so under load one script call records hundreds of
// SUBMIT_RESPs. A failed write is retried until ctx ends; the jobs' leases
// are extended meanwhile, and if the process dies they are sent again.
func (c *Channel) storeOutcomes(ctx context.Context) {
	const maxBatch = 512
	batch := make([]outcome, 0, maxBatch)
	for first := range c.outcomes {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-c.outcomes:
				if !ok {
					break fill
				}
				batch = append(batch, o)
			default:
				break fill
			}
		}
		c.record(ctx, batch)
	}
}

// record writes one batch: results through Submitted, retries through
// Retry.
func (c *Channel) record(ctx context.Context, batch []outcome) {
	var done []store.SubmitOutcome
	var retry []store.RetryJob
	for _, o := range batch {
		if o.done != nil {
			done = append(done, *o.done)
		} else {
			retry = append(retry, *o.retry)
		}
		if c.deps.Metrics != nil {
			c.deps.Metrics.Submits.WithLabelValues(c.set.Name, o.label).Inc()
		}
	}
	fail := backoff{base: 50 * time.Millisecond, max: 2 * time.Second}
	for len(done) > 0 {
		_, err := c.deps.Store.Submitted(ctx, c.set.Name, done)
		if err == nil {
			break
		}
		c.log.Warn().Err(err).Int("outcomes", len(done)).Msg("storing SUBMIT outcomes failed; retrying")
		if !sleep(ctx, fail.next()) {
			return // leases expire; the jobs are sent again
		}
	}
	fail.reset()
	for len(retry) > 0 {
		_, err := c.deps.Store.Retry(ctx, c.set.Name, retry)
		if err == nil {
			break
		}
		c.log.Warn().Err(err).Int("jobs", len(retry)).Msg("scheduling retries failed; retrying")
		if !sleep(ctx, fail.next()) {
			return
		}
	}
	for _, o := range batch {
		c.inHand.remove(o.id)
	}
}
