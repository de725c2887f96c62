package webhook

import (
	"time"

	"github.com/smsbridge/smsbridge/internal/backoff"
)

// retryDelay returns the wait before the next delivery attempt of an event
// that has been tried attempts times (attempts ≥ 1): exponential back-off
// doubling from initial, capped at max, with equal jitter — a random
// duration in [d/2, d] where d = min(max, initial·2^(attempts-1)). Equal
// jitter (rather than full jitter) keeps a floor of d/2, so a receiver
// that is down is never hammered by a run of near-zero draws, while
// retries of a burst of events still spread over half the interval.
func retryDelay(initial, max time.Duration, attempts int) time.Duration {
	if initial <= 0 {
		initial = DefaultInitialBackoff
	}
	return backoff.Delay(initial, max, attempts-1)
}
