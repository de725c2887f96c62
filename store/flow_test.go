package store

import (
	"errors"
	"testing"
	"time"
)

var testFlow = FlowLimits{MinRate: 1, Interval: 100 * time.Millisecond, TTL: time.Minute}

// The limit is a GCRA at the contracted rate with a burst of a tenth of a
// second; without any limit FlowTake grants everything and writes nothing.
func TestFlowTakeContracted(t *testing.T) {
	backends(t, func(f *fixture) {
		t := f.t
		if g, err := f.st.FlowTake(f.ctx, f.ch, testFlow, 50); err != nil || g.Allowed != 50 || g.Rate != 0 {
			t.Fatalf("unlimited FlowTake = %+v, %v", g, err)
		}
		if f.env.Exists(t, f.st.Keys().Flow(f.ch)) {
			t.Fatal("unlimited FlowTake wrote state")
		}
		lim := testFlow
		lim.Contracted = 100 // burst 10, one token per 10 ms
		g, err := f.st.FlowTake(f.ctx, f.ch, lim, 50)
		if err != nil || g.Allowed != 10 {
			t.Fatalf("first FlowTake = %+v, %v; want the burst of 10", g, err)
		}
		g, _ = f.st.FlowTake(f.ctx, f.ch, lim, 50)
		if g.Allowed != 0 || g.Wait != 10*time.Millisecond {
			t.Fatalf("FlowTake with the burst spent = %+v, want 0 and a 10ms wait", g)
		}
		f.clock.Advance(35 * time.Millisecond)
		if g, _ = f.st.FlowTake(f.ctx, f.ch, lim, 50); g.Allowed != 3 {
			t.Fatalf("FlowTake after 35ms = %+v, want 3", g)
		}
	})
}

// A fractional adaptive rate (interval not a whole number of ms) near
// today's timestamps still grants its burst: the GCRA must not lose the
// token to floating-point rounding and spin with "0 allowed, wait 0".
func TestFlowTakeFractionalRate(t *testing.T) {
	backends(t, func(f *fixture) {
		t := f.t
		f.env.SeedHash(t, f.st.Keys().Flow(f.ch), map[string]string{"rate": "1.562"})
		for i := range 3 {
			g, err := f.st.FlowTake(f.ctx, f.ch, testFlow, 5)
			if err != nil || g.Allowed != 1 || g.Rate != 1.562 {
				t.Fatalf("FlowTake %d at 1.562/s = %+v, %v; want 1", i, g, err)
			}
			g, _ = f.st.FlowTake(f.ctx, f.ch, testFlow, 5)
			if g.Allowed != 0 || g.Wait < 600*time.Millisecond || g.Wait > 641*time.Millisecond {
				t.Fatalf("FlowTake right after = %+v, want a wait of about 640ms", g)
			}
			f.clock.Advance(10 * time.Second)
		}
	})
}

// Result 8 starts a storm and sets the adaptive rate to the accepted rate;
// later Result 8s halve it at most once per interval, not below what was
// still accepted nor MinRate; FlowTake then limits to it; success clears
// the storm, grows the rate back (doubling up to the rate before the
// storm, then by a tenth of it) and lifts the throttle at twice that.
func TestFlowStormCutGrowLift(t *testing.T) {
	backends(t, func(f *fixture) {
		t := f.t
		start := f.clock.Now()
		s, err := f.st.FlowCut(f.ctx, f.ch, testFlow, 200)
		if err != nil || s.Rate != 200 || !s.Since.Equal(start) {
			t.Fatalf("first FlowCut = %+v, %v", s, err)
		}
		f.clock.Advance(50 * time.Millisecond)
		if s, _ = f.st.FlowCut(f.ctx, f.ch, testFlow, 0); s.Rate != 200 || !s.Since.Equal(start) {
			t.Fatalf("FlowCut within the interval = %+v, want no cut", s)
		}
		f.clock.Advance(50 * time.Millisecond)
		if s, _ = f.st.FlowCut(f.ctx, f.ch, testFlow, 150); s.Rate != 150 {
			t.Fatalf("FlowCut with 150/s still accepted = %+v, want 150", s)
		}
		for range 12 {
			f.clock.Advance(100 * time.Millisecond)
			s, _ = f.st.FlowCut(f.ctx, f.ch, testFlow, 0)
		}
		if s.Rate != 1 || !s.Since.Equal(start) {
			t.Fatalf("after a long storm %+v, want the least rate 1/s since %v", s, start)
		}
		// The throttle applies to FlowTake: one token, then a second's wait.
		g, err := f.st.FlowTake(f.ctx, f.ch, testFlow, 10)
		if err != nil || g.Allowed != 1 || g.Rate != 1 {
			t.Fatalf("FlowTake at 1/s = %+v, %v", g, err)
		}
		if g, _ = f.st.FlowTake(f.ctx, f.ch, testFlow, 10); g.Allowed != 0 || g.Wait != time.Second {
			t.Fatalf("second FlowTake at 1/s = %+v, want a 1s wait", g)
		}
		f.clock.Advance(time.Second)
		if g, _ = f.st.FlowTake(f.ctx, f.ch, testFlow, 10); g.Allowed != 1 {
			t.Fatalf("FlowTake a second later = %+v, want 1", g)
		}

		// Success: the storm is over; growth 1→2→…→200, then +20 a step.
		rate, err := f.st.FlowOK(f.ctx, f.ch, testFlow)
		if err != nil || rate != 2 {
			t.Fatalf("FlowOK = %v, %v; want 2", rate, err)
		}
		if rate, _ = f.st.FlowOK(f.ctx, f.ch, testFlow); rate != 2 {
			t.Fatalf("FlowOK within the interval = %v, want no growth", rate)
		}
		f.clock.Advance(100 * time.Millisecond)
		if s, _ = f.st.FlowCut(f.ctx, f.ch, testFlow, 0); !s.Since.After(start) || s.Rate != 1 {
			t.Fatalf("Result 8 after a success = %+v: want a new storm", s)
		}
		steps := 0
		for rate = s.Rate; rate > 0; steps++ {
			f.clock.Advance(100 * time.Millisecond)
			if rate, err = f.st.FlowOK(f.ctx, f.ch, testFlow); err != nil {
				t.Fatal(err)
			}
			if steps > 100 {
				t.Fatalf("throttle never lifted; rate %v", rate)
			}
		}
		// 1→2→…→128→200 is 8 steps, then 220…400 is 10 more.
		if steps != 18 {
			t.Fatalf("lifted after %d steps, want 18", steps)
		}
		if g, _ = f.st.FlowTake(f.ctx, f.ch, testFlow, 10); g.Allowed != 10 || g.Rate != 0 {
			t.Fatalf("FlowTake after the lift = %+v, want unlimited", g)
		}
	})
}

// Limits the scripts would read as "no limit" are refused: a MinRate of 0
// let a storm cut the adaptive rate to 0, which FlowTake then treated as
// unthrottled; a TTL of 0 made PEXPIRE delete the state just written.
func TestFlowLimitsChecked(t *testing.T) {
	backends(t, func(f *fixture) {
		t := f.t
		bad := map[string]FlowLimits{
			"MinRate 0":     {MinRate: 0, Interval: time.Millisecond, TTL: time.Minute},
			"Interval 0":    {MinRate: 1, TTL: time.Minute},
			"TTL 0":         {MinRate: 1, Interval: time.Millisecond},
			"Contracted -1": {Contracted: -1, MinRate: 1, Interval: time.Millisecond, TTL: time.Minute},
		}
		for name, lim := range bad {
			if _, err := f.st.FlowCut(f.ctx, f.ch, lim, 0); !errors.Is(err, ErrInvalid) {
				t.Errorf("FlowCut with %s: %v, want ErrInvalid", name, err)
			}
			if _, err := f.st.FlowOK(f.ctx, f.ch, lim); !errors.Is(err, ErrInvalid) {
				t.Errorf("FlowOK with %s: %v, want ErrInvalid", name, err)
			}
			if _, err := f.st.FlowTake(f.ctx, f.ch, lim, 1); !errors.Is(err, ErrInvalid) {
				t.Errorf("FlowTake with %s: %v, want ErrInvalid", name, err)
			}
		}
		if f.env.Exists(t, f.st.Keys().Flow(f.ch)) {
			t.Fatal("refused limits wrote flow state")
		}
	})
}
