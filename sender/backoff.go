package sender

import (
	"context"
	"time"

	"github.com/smsbridge/smsbridge/internal/backoff"
)

// backoffCounter counts failures for internal/backoff's exponential back-off with
// equal jitter: the n-th wait is a random duration in [d/2, d] where
// d = min(max, base·2ⁿ).
type backoffCounter struct {
	base, max time.Duration
	attempt   int
}

// next returns the wait before the next attempt and advances the counter.
func (b *backoffCounter) next() time.Duration {
	d := backoff.Delay(b.base, b.max, b.attempt)
	b.attempt++
	return d
}

// reset forgets earlier failures.
func (b *backoffCounter) reset() { b.attempt = 0 }

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
