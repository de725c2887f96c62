package registry

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Reconnect backoff of the pub/sub subscription.
const (
	minResubscribe = 100 * time.Millisecond
	maxResubscribe = 5 * time.Second
)

// Run keeps the snapshot current until ctx is done: it reloads on each
// change notice (pub/sub, resubscribed with backoff after an error) and
// whenever the stored version differs at a poll (Options.Poll), so a lost
// message heals within Poll. Subscribers are notified after each new
// snapshot. It also owns the flusher of KeyUsed. It returns ctx's error
// once its goroutines have stopped.
func (r *Registry) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	if !r.noPubSub {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.listen(ctx)
		}()
	}
	defer wg.Wait()
	poll := time.NewTicker(r.opts.Poll)
	defer poll.Stop()
	flush := time.NewTicker(keyFlushEvery)
	defer flush.Stop()
	for {
		select {
		case <-ctx.Done():
			// A last flush, bounded, on a context that is not done.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			r.flushKeyUsage(fctx)
			cancel()
			return ctx.Err()
		case <-r.poke:
			r.refresh(ctx)
		case <-poll.C:
			r.refresh(ctx)
		case <-flush.C:
			r.flushKeyUsage(ctx)
		}
	}
}

// refresh reloads the snapshot when the stored version differs from its
// version (one GET when it does not).
func (r *Registry) refresh(ctx context.Context) {
	v, err := r.rdb.Get(ctx, r.keys.RegistryVersion()).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		if ctx.Err() == nil {
			r.log.Warn().Err(err).Msg("registry version check failed")
		}
		return
	}
	if v == r.snap.Load().Version {
		return
	}
	if _, err := r.load(ctx, false); err != nil && ctx.Err() == nil {
		r.log.Warn().Err(err).Msg("registry reload failed")
	}
}

// listen subscribes to the change notices and pokes Run on each one (and
// after each (re)subscription, since a notice may have been missed),
// until ctx is done.
func (r *Registry) listen(ctx context.Context) {
	backoff := minResubscribe
	for ctx.Err() == nil {
		sub := r.rdb.Subscribe(ctx, r.keys.RegistryEvents())
		// A blocked receive does not watch ctx: closing sub ends it.
		stop := context.AfterFunc(ctx, func() { _ = sub.Close() })
		_, err := sub.Receive(ctx) // the subscription's confirmation
		if err == nil {
			backoff = minResubscribe
			r.wake()
			for {
				if _, err = sub.ReceiveMessage(ctx); err != nil {
					break
				}
				r.wake()
			}
		}
		stop()
		_ = sub.Close()
		if ctx.Err() != nil {
			return
		}
		r.log.Warn().Err(err).Dur("retry_in", backoff).Msg("registry pub/sub failed; the poll keeps replicas in step meanwhile")
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxResubscribe)
	}
}

// wake pokes Run without blocking.
func (r *Registry) wake() {
	select {
	case r.poke <- struct{}{}:
	default:
	}
}
