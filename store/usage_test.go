package store

import (
	"testing"
	"time"
)

// set moves the clock to t.
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func TestUsageAcrossTenantDayBoundary(t *testing.T) {
	backends(t, func(f *fixture) {
		const east8 = 8 * 3600
		// 15:59 UTC is 23:59 at UTC+8: the last minute of the tenant's day.
		f.clock.set(time.Date(2025, 10, 9, 15, 59, 0, 0, time.UTC))
		day := Day(f.clock.Now(), east8)
		if day != Day(f.clock.Now(), 0) || Day(f.clock.Now().Add(2*time.Minute), east8) != day+1 {
			f.t.Fatalf("Day: %d", day)
		}
		f.createFor("u1", "acme", 3, func(r *NewRequest) { r.UTCOffset = east8 })
		jobs := f.lease(10)
		mids := f.submitOK(jobs[:2], 1)
		f.clock.Advance(2 * time.Minute) // the tenant's next day; still day in UTC
		f.reports(rep(mids[0], "DELIVRD"), rep(mids[1], "UNDELIV"))
		if _, err := f.st.Submitted(f.ctx, f.ch, []SubmitOutcome{{Job: jobs[2].ID, Result: 13}}); err != nil {
			f.t.Fatal(err)
		}
		got, err := f.st.Usage(f.ctx, []string{f.ch, "cm2"}, "acme", day-1, day+1)
		if err != nil {
			f.t.Fatal(err)
		}
		want := []DayUsage{{Day: day - 1}, {Day: day, Accepted: 3, Submitted: 2}, {Day: day + 1, Delivered: 1, Failed: 2}}
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			f.t.Fatalf("usage\n got %+v\nwant %+v", got, want)
		}
		ttl := f.env.Do(f.t, "TTL", f.st.Keys().Usage(f.ch, "acme", day)).(int64)
		if ttl < int64(DefaultUsageRetention/time.Second)-60 {
			f.t.Fatalf("usage key TTL %d s", ttl)
		}
		// Summed over channels: the same tenant on cm2.
		f.ch = "cm2"
		f.createFor("u2", "acme", 2, func(r *NewRequest) { r.UTCOffset = east8 })
		f.clock.Advance(time.Minute)
		if res, err := f.st.CancelRequest(f.ctx, "u2"); err != nil || res.Cancelled != 2 {
			f.t.Fatalf("CancelRequest %+v %v", res, err)
		}
		got, err = f.st.Usage(f.ctx, []string{"cm1", "cm2"}, "acme", day+1, day+1)
		if err != nil || len(got) != 1 || got[0] != (DayUsage{Day: day + 1, Accepted: 2, Delivered: 1, Failed: 2, Cancelled: 2}) {
			f.t.Fatalf("usage over channels %+v %v", got, err)
		}
		if _, err := f.st.Usage(f.ctx, []string{"cm1"}, "acme", day, day-1); err == nil {
			f.t.Fatal("Usage accepted toDay < fromDay")
		}
	})
}

func TestQuota(t *testing.T) {
	backends(t, func(f *fixture) {
		day := Day(f.clock.Now(), 0)
		check := func(n, limit int64, wantOK bool, wantUsed int64) {
			f.t.Helper()
			ok, used, err := f.st.TakeQuota(f.ctx, "acme", day, n, limit)
			if err != nil || ok != wantOK || used != wantUsed {
				f.t.Fatalf("TakeQuota(%d, %d) = %v %d %v, want %v %d", n, limit, ok, used, err, wantOK, wantUsed)
			}
		}
		check(60, 100, true, 60)
		check(50, 100, false, 60)
		check(40, 100, true, 100)
		check(1, 100, false, 100)
		if err := f.st.ReturnQuota(f.ctx, "acme", day, 40); err != nil {
			f.t.Fatal(err)
		}
		check(40, 100, true, 100)
		check(5, 200, true, 105) // another day's key is separate
		ok, used, err := f.st.TakeQuota(f.ctx, "acme", day+1, 5, 100)
		if err != nil || !ok || used != 5 {
			f.t.Fatalf("next day: %v %d %v", ok, used, err)
		}
		ttl := f.env.Do(f.t, "TTL", f.st.Keys().Quota("acme", day)).(int64)
		if ttl <= int64(QuotaTTL/time.Second)-60 || ttl > int64(QuotaTTL/time.Second) {
			f.t.Fatalf("quota TTL %d s", ttl)
		}
		// Returning more than was taken stops at zero.
		if err := f.st.ReturnQuota(f.ctx, "acme", day+1, 50); err != nil {
			f.t.Fatal(err)
		}
		if ok, used, err := f.st.TakeQuota(f.ctx, "acme", day+1, 0, 0); err != nil || !ok || used != 0 {
			f.t.Fatalf("after over-return: %v %d %v, want used 0", ok, used, err)
		}
		if _, _, err := f.st.TakeQuota(f.ctx, "Bad:name", day, 1, 1); err == nil {
			f.t.Fatal("TakeQuota accepted a bad tenant")
		}
	})
}

func TestAllowRequestOverASecond(t *testing.T) {
	backends(t, func(f *fixture) {
		allowed := func() (int, time.Duration) {
			n := 0
			var wait time.Duration
			for range 20 {
				ok, retry, err := f.st.AllowRequest(f.ctx, "acme", 5)
				if err != nil {
					f.t.Fatal(err)
				}
				if ok {
					n++
				} else {
					wait = retry
				}
			}
			return n, wait
		}
		if n, wait := allowed(); n != 5 || wait != 200*time.Millisecond {
			f.t.Fatalf("burst: %d allowed, retry after %v; want 5, 200ms", n, wait)
		}
		f.clock.Advance(200 * time.Millisecond)
		if n, _ := allowed(); n != 1 {
			f.t.Fatalf("after 200ms: %d allowed, want 1", n)
		}
		f.clock.Advance(time.Second)
		if n, _ := allowed(); n != 5 {
			f.t.Fatalf("after a second: %d allowed, want 5", n)
		}
		// Another tenant has its own budget; 0 means no limit.
		if ok, _, err := f.st.AllowRequest(f.ctx, "beta", 5); err != nil || !ok {
			f.t.Fatalf("beta: %v %v", ok, err)
		}
		if ok, _, err := f.st.AllowRequest(f.ctx, "acme", 0); err != nil || !ok {
			f.t.Fatalf("no limit: %v %v", ok, err)
		}
	})
}
