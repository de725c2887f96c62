package ismgsim

import (
	"sync"
	"time"
)

// tokenBucket is a per-account rate limiter shared by all of the account's
// links. Its burst is one second's worth of tokens.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second; 0 = unlimited
	tokens float64
	last   time.Time
}

// setRate changes the rate live; the bucket starts full at a new rate.
func (b *tokenBucket) setRate(perSec int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if float64(perSec) == b.rate {
		return
	}
	b.rate = float64(perSec)
	b.tokens = b.rate
	b.last = time.Now()
}

// take removes n tokens and reports whether they were there. With rate 0
// it always succeeds.
func (b *tokenBucket) take(n int, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rate == 0 {
		return true
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(b.rate, b.tokens+el.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}
