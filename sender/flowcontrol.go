package sender

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/smsbridge/smsbridge/store"
)

// Flow control constants (PROTOCOL.md: Result 8 means "too many requests,
// slow down"; the ISMG does not say by how much).
const (
	// flowMinRate is the least adaptive rate, submits per second across
	// the channel: the probe rate while a storm lasts.
	flowMinRate = 1.0
	// flowInterval is the least time between two changes of the adaptive
	// rate, and how often a replica reports successes while throttled or
	// looks for a throttle set by another replica.
	flowInterval = 100 * time.Millisecond
)

// flowControl is a channel's view of its shared send limit: the
// contracted rate and the adaptive rate that Result 8 cuts and successes
// grow back (AIMD-like; the state lives in Redis, store.FlowTake/FlowCut/
// FlowOK, so every replica sends at its share of one rate). It measures
// the rate this replica's SUBMITs are accepted at, which the first cut of
// a storm starts from.
//
// Redis cost: with a contracted rate, one script per lease batch (as the
// plain GCRA before); with none, no call while the channel is not
// throttled except one look every flowInterval while leasing. A Result 8
// costs one call; successes cost one call per flowInterval only while
// throttled.
type flowControl struct {
	st      *store.Store
	channel string
	lim     store.FlowLimits
	timeout time.Duration // storm length after which Result 8 fails a segment

	mu        sync.Mutex
	rate      float64   // adaptive rate last seen; 0 = not throttled
	checked   time.Time // when rate was last read from Redis
	reported  time.Time // when a success was last reported while throttled
	acc       acceptMeter
	lastStorm time.Time // storm start last logged
}

func newFlowControl(st *store.Store, set Settings) *flowControl {
	return &flowControl{
		st: st, channel: set.Name, timeout: set.FlowControlTimeout,
		lim: store.FlowLimits{
			Contracted: set.MaxSubmitsPerSec, MinRate: flowMinRate, Interval: flowInterval,
			TTL: set.FlowControlTimeout + time.Minute,
		},
	}
}

// observe records the adaptive rate read from Redis.
func (f *flowControl) observe(rate float64, now time.Time) {
	f.mu.Lock()
	f.rate, f.checked = rate, now
	f.mu.Unlock()
}

// free reports whether a send may skip Redis: no contracted rate, not
// throttled, and the throttle state was looked at within flowInterval.
func (f *flowControl) free(now time.Time) bool {
	if f.lim.Contracted > 0 {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rate == 0 && now.Sub(f.checked) < flowInterval
}

// leaseCap is the most jobs worth leasing at once: while throttled, about
// a second's worth at the adaptive rate, so that during a storm segments
// wait in the queue rather than in hand (leased, heartbeated, waiting for
// tokens for up to a window's worth of seconds).
func (f *flowControl) leaseCap() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rate == 0 {
		return math.MaxInt
	}
	return max(1, int(math.Ceil(f.rate)))
}

// takeTokens waits until at least one of n sends is allowed by the
// channel's shared limit (store.FlowTake: min of the contracted and the
// adaptive rate, across every replica) and returns how many are (1..n).
func (c *Channel) takeTokens(ctx context.Context, n int) (int, error) {
	f := c.flow
	if f.free(time.Now()) {
		return n, nil
	}
	fail := backoffCounter{base: 50 * time.Millisecond, max: 2 * time.Second}
	for {
		g, err := c.deps.Store.FlowTake(ctx, c.set.Name, f.lim, n)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			c.log.Warn().Err(err).Msg("rate limiter unavailable")
			if !sleep(ctx, fail.next()) {
				return 0, ctx.Err()
			}
			continue
		}
		f.observe(g.Rate, time.Now())
		if g.Allowed > 0 {
			return min(g.Allowed, n), nil
		}
		if !sleep(ctx, max(g.Wait, time.Millisecond)) {
			return 0, ctx.Err()
		}
	}
}

// flowAccepted records a SUBMIT answered Result 0 and, while the channel is
// throttled, reports it (at most once per flowInterval): that ends the
// storm and grows the adaptive rate back.
func (c *Channel) flowAccepted(ctx context.Context) {
	f := c.flow
	now := time.Now()
	f.mu.Lock()
	f.acc.add(now)
	report := f.rate > 0 && now.Sub(f.reported) >= flowInterval
	if report {
		f.reported = now
	}
	f.mu.Unlock()
	if !report {
		return
	}
	rate, err := c.deps.Store.FlowOK(ctx, c.set.Name, f.lim)
	if err != nil {
		c.log.Warn().Err(err).Msg("flow control: could not report success")
		return
	}
	f.observe(rate, time.Now())
	if rate == 0 {
		c.log.Info().Msg("flow control: throttle lifted")
	}
}

// flowRejected records a Result 8 and reports whether the storm has lasted
// longer than FlowControlTimeout, so the segment should fail. If Redis
// cannot be reached the segment is kept (false).
func (c *Channel) flowRejected(ctx context.Context) bool {
	f := c.flow
	now := time.Now()
	f.mu.Lock()
	accepted := f.acc.rate(now)
	f.mu.Unlock()
	storm, err := c.deps.Store.FlowCut(ctx, c.set.Name, f.lim, accepted)
	if err != nil {
		c.log.Warn().Err(err).Msg("flow control: could not record Result 8")
		return false
	}
	f.observe(storm.Rate, time.Now())
	f.mu.Lock()
	first := !storm.Since.Equal(f.lastStorm)
	f.lastStorm = storm.Since
	f.mu.Unlock()
	if first {
		c.log.Warn().Time("since", storm.Since).Float64("rate", storm.Rate).
			Msg("flow control: ISMG answers Result 8; channel throttled")
	}
	return now.Sub(storm.Since) > f.timeout
}

// acceptMeter counts accepted SUBMITs over the last second in ten buckets
// of 100 ms. Callers hold flowControl.mu.
type acceptMeter struct {
	slot   [10]int64 // bucket start (unix ms / 100) of each count
	counts [10]int
}

func (m *acceptMeter) add(now time.Time) {
	s := now.UnixMilli() / 100
	i := s % 10
	if m.slot[i] != s {
		m.slot[i], m.counts[i] = s, 0
	}
	m.counts[i]++
}

// rate returns the accepted SUBMITs per second over the last second.
func (m *acceptMeter) rate(now time.Time) float64 {
	s := now.UnixMilli() / 100
	n := 0
	for i := range m.slot {
		if s-m.slot[i] < 10 {
			n += m.counts[i]
		}
	}
	return float64(n)
}
