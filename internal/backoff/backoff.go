// Package backoff computes exponential back-off with equal jitter, the one
// retry schedule the senders, the link pool and the webhook dispatcher
// share.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Delay returns the wait after n failures (n ≥ 0): d = min(max,
// initial·2ⁿ), drawn uniformly from [d/2, d]. Equal jitter keeps a floor
// of d/2, so a peer that is down is never hammered by a run of near-zero
// draws, while retries of a burst still spread over half the interval.
// initial ≤ 0 returns 0; max < initial is taken as initial.
func Delay(initial, max time.Duration, n int) time.Duration {
	if initial <= 0 {
		return 0
	}
	if max < initial {
		max = initial
	}
	d := max
	if n < 0 {
		d = initial
	} else if n < 62 && initial <= max>>n {
		d = initial << n
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
