package sender

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff is exponential back-off with full jitter: the n-th wait is a
// random duration in [d/2, d] where d = min(max, base·2ⁿ).
type backoff struct {
	base, max time.Duration
	attempt   int
}

// next returns the wait before the next attempt and advances the counter.
func (b *backoff) next() time.Duration {
	d := b.base << min(b.attempt, 30)
	if d <= 0 || d > b.max {
		d = b.max
	}
	b.attempt++
	return d/2 + rand.N(d/2+1)
}

// reset forgets earlier failures.
func (b *backoff) reset() { b.attempt = 0 }

// sleep waits for d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
