package loadgen

import (
	"context"
	"time"
)

// Schedule is an open-loop arrival schedule: request i is due at
// Start + i/Rate, for every i with a due time before Start + Duration.
// When requests go out has nothing to do with when earlier ones were
// answered, so a slow service cannot slow the offered load down (no
// coordinated omission).
type Schedule struct {
	// Start is when request 0 is due.
	Start time.Time
	// Rate is requests per second (> 0).
	Rate float64
	// Duration bounds the schedule: the last request is due before
	// Start + Duration.
	Duration time.Duration
}

// offset is the due time of request i relative to Start.
func (s Schedule) offset(i int64) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / s.Rate)
}

// At returns when request i is due.
func (s Schedule) At(i int64) time.Time { return s.Start.Add(s.offset(i)) }

// Total is the number of requests in the schedule.
func (s Schedule) Total() int64 {
	if s.Rate <= 0 || s.Duration <= 0 {
		return 0
	}
	return s.dueWithin(s.Duration - 1)
}

// DueBy returns how many requests are due at or before t (never more than
// Total).
func (s Schedule) DueBy(t time.Time) int64 {
	if s.Rate <= 0 || t.Before(s.Start) {
		return 0
	}
	return min(s.dueWithin(t.Sub(s.Start)), s.Total())
}

// dueWithin counts the i ≥ 0 with offset(i) ≤ d, d ≥ 0.
func (s Schedule) dueWithin(d time.Duration) int64 {
	n := int64(float64(d)*s.Rate/float64(time.Second)) + 1
	for n > 0 && s.offset(n-1) > d {
		n--
	}
	for s.offset(n) <= d {
		n++
	}
	return n
}

// dispatch calls issue(i, due) for every request of s in order, each once
// it is due, and returns how many it issued. issue may block (all workers
// busy): the requests that fall due meanwhile are issued as soon as it
// returns, late, and their lateness is the caller's to measure. dispatch
// stops early when ctx is done.
func dispatch(ctx context.Context, s Schedule, issue func(ctx context.Context, i int64, due time.Time) bool) int64 {
	total := s.Total()
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	var i int64
	for i < total {
		due := s.At(i)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return i
			case <-timer.C:
			}
		}
		for n := s.DueBy(time.Now()); i < n; i++ {
			if !issue(ctx, i, s.At(i)) {
				return i
			}
		}
	}
	return i
}
