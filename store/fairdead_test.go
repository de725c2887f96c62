package store

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A tenant whose queue holds the dead jobs of a cancelled large request is
// charged for popping them: another tenant's job is leased at once, not
// after the dead jobs are drained.
func TestFairDeadJobsDoNotHoldPicks(t *testing.T) {
	backends(t, func(f *fixture) {
		// One script cancels 20,000 jobs: on miniredis's Lua under -race on
		// a loaded machine that takes longer than the default 3 s read
		// timeout, so this store's client waits longer.
		var rdb redis.UniversalClient = f.env.Client
		if c, ok := rdb.(*redis.Client); ok {
			opts := *c.Options()
			opts.ReadTimeout, opts.WriteTimeout = 30*time.Second, 30*time.Second
			slow := redis.NewClient(&opts)
			defer slow.Close()
			rdb = slow
		}
		st := New(rdb, Options{Prefix: f.env.Prefix, Now: f.clock.Now, MaxRecipients: 20000})
		st.strictSlots = f.st.strictSlots
		req := f.request("adead", 20000, 1)
		req.Tenant = "alpha"
		if err := st.CreateRequest(f.ctx, req); err != nil {
			f.t.Fatalf("CreateRequest: %v", err)
		}
		if _, err := st.CancelRequest(f.ctx, "adead"); err != nil {
			f.t.Fatalf("CancelRequest: %v", err)
		}
		if r := f.get("adead"); r.Status != RequestCancelled {
			f.t.Fatalf("adead: %s", r.Status)
		}
		f.createFor("b0", "beta", 1, nil)
		var leased []Job
		for call := 1; call <= 2 && len(leased) == 0; call++ {
			leased = f.lease(64)
		}
		if len(leased) != 1 || leased[0].RequestID != "b0" {
			f.t.Fatalf("first two Lease calls returned %v; want beta's job", leased)
		}
		// The dead jobs drain on later calls; the tenant leaves the fair
		// queue once they are gone.
		for range 100 {
			if jobs := f.lease(64); len(jobs) != 0 {
				f.t.Fatalf("leased %v of a cancelled request", jobs)
			}
			if f.env.Do(f.t, "EXISTS", f.st.Keys().Active(f.ch)).(int64) == 0 {
				return
			}
		}
		f.t.Fatal("dead jobs still queued after 100 Lease calls")
	})
}
