package store

import (
	"testing"
	"time"
)

// testRules are short failover figures for the health tests.
var testRules = HealthRules{
	NoLinkFor: 10 * time.Second, Window: 20 * time.Second, FailureShare: 0.5, MinSegments: 10,
	HealthyFor: 5 * time.Second, ProblemSpan: 10 * time.Second, ProblemMin: 3, LinkFresh: 3 * time.Second,
}

func (f *fixture) tick(up bool, c HealthCounts) HealthState {
	f.t.Helper()
	st, err := f.st.HealthTick(f.ctx, f.ch, up, c, testRules)
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

// No logged-in link on any replica for no_link_for trips the channel,
// once; links up again for healthy_for bring it back, once.
func TestHealthNoLink(t *testing.T) {
	backends(t, func(f *fixture) {
		if st := f.tick(true, HealthCounts{}); st.Down || st.Tripped {
			f.t.Fatalf("first tick %+v", st)
		}
		f.clock.Advance(9 * time.Second)
		if st := f.tick(false, HealthCounts{}); st.Down || st.NoLinkFor != 9*time.Second {
			f.t.Fatalf("9s without link: %+v", st)
		}
		f.clock.Advance(time.Second)
		st := f.tick(false, HealthCounts{})
		if !st.Down || !st.Tripped || st.Rule != "no_link" {
			f.t.Fatalf("10s without link: %+v", st)
		}
		// A second replica ticking at the same time sees the state, not
		// the transition.
		if st := f.tick(false, HealthCounts{}); !st.Down || st.Tripped {
			f.t.Fatalf("second replica %+v", st)
		}
		f.tick(true, HealthCounts{}) // links up: healthy from now
		f.clock.Advance(4 * time.Second)
		if st := f.tick(true, HealthCounts{}); !st.Down {
			f.t.Fatalf("healthy 4s: %+v", st)
		}
		f.clock.Advance(4 * time.Second) // the link went stale: healthy again from scratch
		if st := f.tick(false, HealthCounts{}); !st.Down {
			f.t.Fatalf("stale link: %+v", st)
		}
		f.tick(true, HealthCounts{})
		f.clock.Advance(5 * time.Second)
		st = f.tick(true, HealthCounts{})
		if st.Down || !st.Recovered || st.Rule != "no_link" {
			f.t.Fatalf("healthy 5s: %+v", st)
		}
		if st := f.tick(true, HealthCounts{}); st.Down || st.Recovered {
			f.t.Fatalf("after recovery %+v", st)
		}
	})
}

// With no_link_for shorter than the link freshness, the "link up" seen
// before the switch is still fresh just after it: it must not start the
// healthy period, or the channel would fail back with every link down.
func TestHealthNoLinkShorterThanFreshness(t *testing.T) {
	rules := testRules
	rules.NoLinkFor, rules.HealthyFor = time.Second, 2*time.Second
	backends(t, func(f *fixture) {
		tick := func(up bool) HealthState {
			f.t.Helper()
			st, err := f.st.HealthTick(f.ctx, f.ch, up, HealthCounts{}, rules)
			if err != nil {
				f.t.Fatal(err)
			}
			return st
		}
		tick(true)
		f.clock.Advance(time.Second)
		if st := tick(false); !st.Down || !st.Tripped {
			f.t.Fatalf("1s without link: %+v", st)
		}
		for range 4 { // 4s with every link down: stays down
			f.clock.Advance(time.Second)
			if st := tick(false); !st.Down {
				f.t.Fatalf("failed back with no link after %v: %+v", st.NoLinkFor, st)
			}
		}
		tick(true)
		f.clock.Advance(2 * time.Second)
		if st := tick(true); st.Down || !st.Recovered {
			f.t.Fatalf("links up 2s: %+v", st)
		}
	})
}

// Problem Results outnumbering accepted SUBMITs (at least ProblemMin)
// over the span trip the channel; after healthy_for it is back with clean
// counters.
func TestHealthProblemResults(t *testing.T) {
	backends(t, func(f *fixture) {
		if st := f.tick(true, HealthCounts{Accepted: 5, Problems: 2}); st.Down {
			f.t.Fatalf("2 problems %+v", st)
		}
		if st := f.tick(true, HealthCounts{Problems: 2}); st.Down { // 4 problems, 5 accepted
			f.t.Fatalf("4 problems vs 5 accepted %+v", st)
		}
		st := f.tick(true, HealthCounts{Problems: 2})
		if !st.Down || !st.Tripped || st.Rule != "problem_result" || st.Problems != 6 || st.Accepted != 5 {
			f.t.Fatalf("6 problems vs 5 accepted %+v", st)
		}
		f.tick(true, HealthCounts{}) // links up: healthy from now
		f.clock.Advance(5 * time.Second)
		st = f.tick(true, HealthCounts{Problems: 1}) // in flight when it tripped
		if st.Down || !st.Recovered {
			f.t.Fatalf("after healthy_for %+v", st)
		}
		if st := f.tick(true, HealthCounts{}); st.Down || st.Problems != 0 {
			f.t.Fatalf("counters not cleared on recovery %+v", st)
		}
		if keys := f.env.HGetAll(f.t, f.st.Keys().HealthStats(f.ch)); len(keys) != 0 {
			f.t.Fatalf("counters %v", keys)
		}
	})
}

// Failed and unreported segments over the window trip the channel once
// they exceed the share with at least min_segments.
func TestHealthFailureShare(t *testing.T) {
	backends(t, func(f *fixture) {
		// Second 0: 20 accepted. Reports for 10 of them, 4 failing, come
		// later; 10 never come.
		f.tick(true, HealthCounts{Accepted: 20})
		f.clock.Advance(6 * time.Second) // past the grace (window/4 = 5s)
		st := f.tick(true, HealthCounts{Reports: 10, FailedReports: 4})
		// bad = 4 failed + (20-10) unreported = 14 of 20 > 0.5
		if !st.Down || !st.Tripped || st.Rule != "failure_share" || st.Segments != 20 || st.Bad != 14 {
			f.t.Fatalf("share 14/20: %+v", st)
		}
	})
	backends(t, func(f *fixture) {
		f.tick(true, HealthCounts{Accepted: 8, Refused: 1})
		f.clock.Advance(6 * time.Second)
		// 9 segments, all bad, but fewer than min_segments.
		if st := f.tick(true, HealthCounts{}); st.Down || st.Segments != 9 || st.Bad != 9 {
			f.t.Fatalf("below min_segments %+v", st)
		}
		f.tick(true, HealthCounts{Accepted: 20, Reports: 20})
		f.clock.Advance(6 * time.Second)
		// 29 segments, 1 refused + 8 unreported of the first second
		// (reports counted from the window start + grace): 9/29.
		if st := f.tick(true, HealthCounts{Reports: 8}); st.Down {
			f.t.Fatalf("healthy share %+v", st)
		}
		// The window slides: counters older than it are pruned.
		f.clock.Advance(30 * time.Second)
		if st := f.tick(true, HealthCounts{}); st.Segments != 0 {
			f.t.Fatalf("after the window %+v", st)
		}
		if keys := f.env.HGetAll(f.t, f.st.Keys().HealthStats(f.ch)); len(keys) != 0 {
			f.t.Fatalf("stale counters kept %v", keys)
		}
	})
}

// The mover lock has one holder at a time and returns when released.
func TestMoverLock(t *testing.T) {
	backends(t, func(f *fixture) {
		for _, c := range []struct {
			owner string
			want  bool
		}{{"a", true}, {"b", false}, {"a", true}} {
			if ok, err := f.st.TakeMover(f.ctx, f.ch, c.owner, time.Minute); err != nil || ok != c.want {
				f.t.Fatalf("TakeMover %s: %v %v", c.owner, ok, err)
			}
		}
		if err := f.st.ReleaseMover(f.ctx, f.ch, "b"); err != nil {
			f.t.Fatal(err)
		}
		if ok, _ := f.st.TakeMover(f.ctx, f.ch, "b", time.Minute); ok {
			f.t.Fatal("b took a lock a holds after b's release")
		}
		if err := f.st.ReleaseMover(f.ctx, f.ch, "a"); err != nil {
			f.t.Fatal(err)
		}
		if ok, _ := f.st.TakeMover(f.ctx, f.ch, "b", time.Minute); !ok {
			f.t.Fatal("b could not take a released lock")
		}
	})
}

// A long window keeps its counters in at most 60 buckets (plus the one
// being filled), so a tick reads a few hundred fields, not 5 a second.
func TestHealthLongWindowBuckets(t *testing.T) {
	rules := testRules
	rules.Window, rules.FailureShare = 10*time.Minute, 0
	backends(t, func(f *fixture) {
		for range 900 {
			if _, err := f.st.HealthTick(f.ctx, f.ch, true, HealthCounts{Accepted: 1, Reports: 1}, rules); err != nil {
				f.t.Fatal(err)
			}
			f.clock.Advance(time.Second)
		}
		if n := len(f.env.HGetAll(f.t, f.st.Keys().HealthStats(f.ch))); n > 2*62 {
			f.t.Fatalf("%d counter fields for a 10-minute window, want at most %d", n, 2*62)
		}
	})
}
