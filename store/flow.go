package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// FlowLimits are the parameters of a channel's shared send limit (see
// FlowTake, FlowCut and FlowOK).
type FlowLimits struct {
	// Contracted is the channel's rate across every replica, submits per
	// second; 0 means none.
	Contracted int
	// MinRate is the least adaptive rate, submits per second: the probe
	// rate during a long storm. Must be > 0.
	MinRate float64
	// Interval is the least time between two changes of the adaptive
	// rate: cuts on Result 8, growth on success.
	Interval time.Duration
	// TTL is how long the state lives after its last change; it must
	// exceed the storm timeout so a storm's start is not forgotten.
	TTL time.Duration
}

// check refuses limits the scripts would turn into "no limit": a MinRate
// of 0 lets a cut set the adaptive rate to 0, which FlowTake reads as
// none, and a TTL of 0 makes PEXPIRE delete the state it just wrote.
func (l FlowLimits) check() error {
	switch {
	case l.Contracted < 0:
		return fmt.Errorf("%w: FlowLimits.Contracted %d: must be >= 0", ErrInvalid, l.Contracted)
	case !(l.MinRate > 0):
		return fmt.Errorf("%w: FlowLimits.MinRate %v: must be > 0", ErrInvalid, l.MinRate)
	case l.Interval <= 0:
		return fmt.Errorf("%w: FlowLimits.Interval %v: must be > 0", ErrInvalid, l.Interval)
	case l.TTL < time.Millisecond:
		return fmt.Errorf("%w: FlowLimits.TTL %v: must be at least 1ms", ErrInvalid, l.TTL)
	}
	return nil
}

// FlowGrant is the answer of FlowTake.
type FlowGrant struct {
	// Allowed is how many sends may go now (0..n).
	Allowed int
	// Wait is the time until a token is due when Allowed is 0.
	Wait time.Duration
	// Rate is the adaptive rate; 0 when the channel is not throttled.
	Rate float64
}

// FlowStorm is the state of flow control after a Result 8.
type FlowStorm struct {
	// Since is when the current storm began: the first Result 8 after the
	// last accepted SUBMIT of the channel (on any replica that reported it).
	Since time.Time
	// Rate is the adaptive rate after the cut.
	Rate float64
}

// FlowTake takes up to n send tokens from the channel's shared limit, the
// smaller of the contracted rate and the adaptive rate (a GCRA in Redis
// with a burst of a tenth of a second, so the limit holds across
// replicas). It also reports the adaptive rate, so callers learn about a
// throttle without another round trip. Without either limit it grants n
// and writes nothing.
func (s *Store) FlowTake(ctx context.Context, channel string, lim FlowLimits, n int) (FlowGrant, error) {
	if err := checkChannel(channel); err != nil {
		return FlowGrant{}, err
	}
	if err := lim.check(); err != nil {
		return FlowGrant{}, err
	}
	if n < 1 {
		return FlowGrant{}, fmt.Errorf("%w: FlowTake n %d", ErrInvalid, n)
	}
	v, err := s.run(ctx, "flow take", scriptFlowTake, []string{s.keys.Flow(channel)},
		s.keys.Tag(channel), ms(s.now()), lim.Contracted, n, msDur(lim.TTL))
	if err != nil {
		return FlowGrant{}, err
	}
	a, ok := asSlice(v)
	if !ok || len(a) != 3 {
		return FlowGrant{}, fmt.Errorf("%w: flow take reply %v", ErrBadReply, v)
	}
	return FlowGrant{
		Allowed: asInt(a[0]),
		Wait:    time.Duration(asInt(a[1])) * time.Millisecond,
		Rate:    parseRate(a[2]),
	}, nil
}

// FlowCut records a Result 8: it starts the storm when none is going on,
// and cuts the adaptive rate, at most once per lim.Interval: the first
// cut of a storm to accepted (the submits per second the ISMG accepted
// over the last second, as measured by the caller), later ones by half,
// never below accepted nor lim.MinRate.
func (s *Store) FlowCut(ctx context.Context, channel string, lim FlowLimits, accepted float64) (FlowStorm, error) {
	if err := checkChannel(channel); err != nil {
		return FlowStorm{}, err
	}
	if err := lim.check(); err != nil {
		return FlowStorm{}, err
	}
	v, err := s.run(ctx, "flow cut", scriptFlowCut, []string{s.keys.Flow(channel)},
		s.keys.Tag(channel), ms(s.now()), formatRate(accepted), lim.Contracted,
		formatRate(lim.MinRate), msDur(lim.Interval), msDur(lim.TTL))
	if err != nil {
		return FlowStorm{}, err
	}
	a, ok := asSlice(v)
	if !ok || len(a) != 2 {
		return FlowStorm{}, fmt.Errorf("%w: flow cut reply %v", ErrBadReply, v)
	}
	return FlowStorm{Since: time.UnixMilli(int64(asInt(a[0]))), Rate: parseRate(a[1])}, nil
}

// FlowOK records an accepted SUBMIT while the channel is throttled: the
// storm is over, and the adaptive rate grows back (at most once per
// lim.Interval, doubling up to the rate accepted before the storm, then by
// a tenth of it) until the throttle is lifted at the contracted rate, or
// with none at twice the rate accepted before the storm. It returns the
// adaptive rate, 0 once lifted.
func (s *Store) FlowOK(ctx context.Context, channel string, lim FlowLimits) (float64, error) {
	if err := checkChannel(channel); err != nil {
		return 0, err
	}
	if err := lim.check(); err != nil {
		return 0, err
	}
	v, err := s.run(ctx, "flow ok", scriptFlowOK, []string{s.keys.Flow(channel)},
		s.keys.Tag(channel), ms(s.now()), lim.Contracted, formatRate(lim.MinRate),
		msDur(lim.Interval), msDur(lim.TTL))
	if err != nil {
		return 0, err
	}
	return parseRate(v), nil
}

func formatRate(r float64) string { return strconv.FormatFloat(r, 'f', 3, 64) }

// parseRate reads a rate reply; "" (not throttled) and garbage are 0.
func parseRate(v any) float64 {
	r, _ := strconv.ParseFloat(asString(v), 64)
	return r
}
