package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Failover health of a channel, shared by every replica: the state (up or
// down, with the rule that tripped it) in the channel's health hash, and
// the replicas' bucketed counters (at most 60 a window) in its counters hash, both in the
// channel's slot. The rules and their figures are defined by
// internal/failover, which calls HealthTick once a second per channel
// per process; nothing here runs per message.

// HealthCounts are a replica's counts of one channel since its last
// tick.
type HealthCounts struct {
	// Accepted SUBMITs (Result 0) and Refused ones (a final failure:
	// Result other than 0 and than the problem Results, or no answer).
	Accepted, Refused int
	// Problems are SUBMITs answered with a problem Result (retried).
	Problems int
	// Reports matched, and FailedReports among them (Stat not DELIVRD).
	Reports, FailedReports int
}

// HealthRules are the figures HealthTick evaluates (see
// internal/failover for their meaning and defaults). A zero NoLinkFor,
// FailureShare or ProblemMin turns that rule off.
type HealthRules struct {
	NoLinkFor    time.Duration
	Window       time.Duration
	FailureShare float64
	MinSegments  int
	HealthyFor   time.Duration
	ProblemSpan  time.Duration
	ProblemMin   int
	// LinkFresh is how recent a replica's "link up" must be for links to
	// count as up while the channel is down.
	LinkFresh time.Duration
}

// HealthState is the channel's health after a tick.
type HealthState struct {
	// Down is true while the channel is failed over.
	Down bool
	// Rule is the rule that tripped it ("no_link", "problem_result",
	// "failure_share"), also on the tick that brought it back up.
	Rule string
	// Tripped and Recovered say this tick performed that transition
	// (exactly one caller in the cluster sees each).
	Tripped, Recovered bool
	// Since is when the state began.
	Since time.Time
	// NoLinkFor is how long no replica has reported a logged-in link.
	NoLinkFor time.Duration
	// Segments and Bad are the failure-share figures over the window;
	// Problems and Accepted those of the problem span.
	Segments, Bad, Problems, Accepted int
}

// healthTTL keeps a channel's health hash while any replica ticks it; a
// channel no replica runs any more loses it after this.
const healthTTL = 7 * 24 * time.Hour

// HealthTick adds this replica's counts of channel, records whether it
// has a logged-in link (linkUp), evaluates rules over every replica's
// counters and performs the transition they call for, atomically (one
// script call: lua/health_tick.lua).
func (s *Store) HealthTick(ctx context.Context, channel string, linkUp bool, c HealthCounts, r HealthRules) (HealthState, error) {
	if err := checkChannel(channel); err != nil {
		return HealthState{}, err
	}
	if r.Window <= 0 || r.HealthyFor <= 0 {
		return HealthState{}, fmt.Errorf("%w: health rules: window and healthy_for must be positive", ErrInvalid)
	}
	up := 0
	if linkUp {
		up = 1
	}
	v, err := s.run(ctx, "health tick", scriptHealthTick,
		[]string{s.keys.Health(channel), s.keys.HealthStats(channel)},
		ms(s.now()), up, c.Accepted, c.Refused, c.Problems, c.Reports, c.FailedReports,
		r.NoLinkFor.Milliseconds(), r.Window.Milliseconds(),
		strconv.FormatFloat(r.FailureShare, 'f', -1, 64), r.MinSegments,
		r.HealthyFor.Milliseconds(), r.ProblemSpan.Milliseconds(), r.ProblemMin,
		r.LinkFresh.Milliseconds(), healthTTL.Milliseconds())
	if err != nil {
		return HealthState{}, err
	}
	a, ok := asSlice(v)
	if !ok || len(a) != 9 {
		return HealthState{}, fmt.Errorf("%w: health tick reply %v", ErrBadReply, v)
	}
	str := func(x any) string { s, _ := x.(string); return s }
	tr := asInt(a[2])
	return HealthState{
		Down: str(a[0]) == "down", Rule: str(a[1]),
		Tripped: tr == 1, Recovered: tr == 2,
		Since:     time.UnixMilli(int64(asInt(a[3]))),
		NoLinkFor: time.Duration(asInt(a[4])) * time.Millisecond,
		Segments:  asInt(a[5]), Bad: asInt(a[6]), Problems: asInt(a[7]), Accepted: asInt(a[8]),
	}, nil
}

// TakeMover takes or renews the lock of channel's failover mover for
// owner, leased for ttl; false when another owner holds it.
func (s *Store) TakeMover(ctx context.Context, channel, owner string, ttl time.Duration) (bool, error) {
	if err := checkChannel(channel); err != nil {
		return false, err
	}
	if owner == "" || ttl <= 0 {
		return false, fmt.Errorf("%w: mover lock: owner and a positive lease required", ErrInvalid)
	}
	v, err := s.run(ctx, "take mover lock", scriptMoverLock, []string{s.keys.Mover(channel)}, owner, msDur(ttl))
	if err != nil {
		return false, err
	}
	return asInt(v) == 1, nil
}

// ReleaseMover releases the lock of channel's failover mover if owner
// still holds it.
func (s *Store) ReleaseMover(ctx context.Context, channel, owner string) error {
	if err := checkChannel(channel); err != nil {
		return err
	}
	_, err := s.run(ctx, "release mover lock", scriptMoverUnlock, []string{s.keys.Mover(channel)}, owner)
	return err
}
