package store

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// createFor creates request id of tenant with R recipients × 1 segment,
// after mod (when not nil) has adjusted it.
func (f *fixture) createFor(id, tenant string, R int, mod func(*NewRequest)) NewRequest {
	f.t.Helper()
	req := f.request(id, R, 1)
	req.Tenant = tenant
	if mod != nil {
		mod(&req)
	}
	if err := f.st.CreateRequest(f.ctx, req); err != nil {
		f.t.Fatalf("CreateRequest %s: %v", id, err)
	}
	return req
}

// countByRequestPrefix counts leased jobs by the first letter of their
// request id.
func countByRequestPrefix(jobs []Job) map[byte]int {
	n := map[byte]int{}
	for _, j := range jobs {
		n[j.RequestID[0]]++
	}
	return n
}

func TestFairNewcomerInFirstBatch(t *testing.T) {
	backends(t, func(f *fixture) {
		for i := range 10 {
			f.createFor(fmt.Sprintf("a%d", i), "alpha", 1000, nil)
		}
		f.createFor("b0", "beta", 1, nil)
		jobs := f.lease(64)
		if n := countByRequestPrefix(jobs); n['b'] != 1 || len(jobs) != 64 {
			f.t.Fatalf("first batch: %d jobs, %v by tenant; want beta's job in it", len(jobs), n)
		}
		// alpha has been served for a while when gamma arrives: gamma's
		// job is still in the next batch.
		for range 20 {
			if n := countByRequestPrefix(f.lease(64)); n['a'] != 64 {
				f.t.Fatalf("alone, alpha got %v", n)
			}
		}
		f.createFor("g0", "gamma", 2, nil)
		if n := countByRequestPrefix(f.lease(16)); n['g'] != 2 || n['a'] != 14 {
			f.t.Fatalf("batch after gamma joined: %v", n)
		}
		if got, err := f.st.QueuedByTenant(f.ctx, f.ch); err != nil || len(got) != 1 || got["alpha"] != 10000-64-20*64-14+1 {
			f.t.Fatalf("QueuedByTenant = %v, %v", got, err)
		}
		if d := f.depth(); d.Pending != 10000-64-20*64-14+1 {
			f.t.Fatalf("depth %+v", d)
		}
		if n := f.env.Do(f.t, "ZCARD", f.st.Keys().Active(f.ch)).(int64); n != 1 {
			f.t.Fatalf("%d active tenants, want 1 (beta and gamma emptied)", n)
		}
	})
}

func TestFairWeights(t *testing.T) {
	backends(t, func(f *fixture) {
		for i := range 4 {
			f.createFor(fmt.Sprintf("a%d", i), "heavy", 1000, func(r *NewRequest) { r.Weight = 3 })
			f.createFor(fmt.Sprintf("b%d", i), "light", 1000, nil)
		}
		n := map[byte]int{}
		for range 40 {
			for k, v := range countByRequestPrefix(f.lease(50)) {
				n[k] += v
			}
		}
		share := float64(n['a']) / float64(n['a']+n['b'])
		if n['a']+n['b'] != 2000 || math.Abs(share-0.75) > 0.05*0.75 {
			f.t.Fatalf("leased %v: heavy share %.3f, want 0.75 ± 5%%", n, share)
		}
	})
}

func TestPriorityOrderAndShare(t *testing.T) {
	backends(t, func(f *fixture) {
		f.createFor("l", "acme", 100, func(r *NewRequest) { r.Priority = PriorityLow })
		f.createFor("n", "acme", 100, nil)
		f.createFor("h", "acme", 100, func(r *NewRequest) { r.Priority = PriorityHigh })
		var got []byte
		for range 50 {
			jobs := f.lease(1)
			if len(jobs) != 1 {
				f.t.Fatalf("lease: %d jobs", len(jobs))
			}
			got = append(got, jobs[0].RequestID[0])
		}
		var want []byte
		for k := 1; k <= 50; k++ {
			switch {
			case k%25 == 0:
				want = append(want, 'l')
			case k%5 == 0:
				want = append(want, 'n')
			default:
				want = append(want, 'h')
			}
		}
		if string(got) != string(want) {
			f.t.Fatalf("picks\n got %s\nwant %s", got, want)
		}
		// The rest: high first until empty, then normal, then low.
		rest := f.lease(300)
		if len(rest) != 250 {
			f.t.Fatalf("rest: %d jobs", len(rest))
		}
		last := byte('h')
		rank := map[byte]int{'h': 0, 'n': 1, 'l': 2}
		for i, j := range rest {
			c := j.RequestID[0]
			if i < 200 && rank[c] < rank[last] {
				f.t.Fatalf("job %d of %s after %c", i, j.RequestID, last)
			}
			last = c
		}
		if p, err := ParsePriority("low"); err != nil || p != PriorityLow || p.String() != "low" ||
			PriorityHigh.String() != "high" || Priority(0).String() != "normal" {
			f.t.Fatalf("ParsePriority/String: %v %v", p, err)
		}
		if _, err := ParsePriority("urgent"); err == nil {
			f.t.Fatal("ParsePriority accepted urgent")
		}
	})
}

func TestLegacyQueueDrainedFirst(t *testing.T) {
	backends(t, func(f *fixture) {
		k := f.st.Keys()
		// "old" was queued by the previous version: its jobs in {T}:q.
		f.createFor("old", "acme", 3, nil)
		f.env.Do(f.t, "DEL", k.TenantQueue(f.ch, "acme", PriorityNormal))
		f.env.Do(f.t, "ZREM", k.Active(f.ch), "acme")
		f.env.Do(f.t, "RPUSH", k.Queue(f.ch), "old:1:1", "old:2:1", "old:3:1")
		f.createFor("new", "beta", 2, nil)
		if d := f.depth(); d.Pending != 5 {
			f.t.Fatalf("depth %+v, want 5 pending", d)
		}
		if got, _ := f.st.QueuedByTenant(f.ctx, f.ch); got[""] != 3 || got["beta"] != 2 {
			f.t.Fatalf("QueuedByTenant %v", got)
		}
		jobs := f.lease(4)
		if len(jobs) != 4 || jobs[0].ID != "old:1:1" || jobs[2].ID != "old:3:1" || jobs[3].ID != "new:1:1" {
			f.t.Fatalf("leased %v", jobs)
		}
		if rest := f.lease(10); len(rest) != 1 || rest[0].ID != "new:2:1" {
			f.t.Fatalf("rest %v", rest)
		}
		if n := f.env.Do(f.t, "EXISTS", k.Queue(f.ch)).(int64); n != 0 {
			f.t.Fatal("legacy queue not drained")
		}
	})
}

func TestRecoverAndReleaseToTenantQueue(t *testing.T) {
	backends(t, func(f *fixture) {
		k := f.st.Keys()
		f.createFor("b", "beta", 2, func(r *NewRequest) { r.Priority = PriorityHigh })
		leased := f.lease(10)
		if len(leased) != 2 {
			f.t.Fatalf("leased %d", len(leased))
		}
		f.createFor("a", "alpha", 500, nil)
		// beta's leases expire: back at the head of beta's high queue.
		f.clock.Advance(f.st.Options().LeaseTTL + time.Second)
		rec, err := f.st.Recover(f.ctx, f.ch)
		if err != nil || rec.Jobs != 2 {
			f.t.Fatalf("Recover %+v %v", rec, err)
		}
		q := f.env.Do(f.t, "LRANGE", k.TenantQueue(f.ch, "beta", PriorityHigh), 0, -1).([]any)
		if len(q) != 2 || q[0] != "b:1:1" || q[1] != "b:2:1" {
			f.t.Fatalf("beta's queue %v", q)
		}
		if n := countByRequestPrefix(f.lease(10)); n['b'] != 2 {
			f.t.Fatalf("after recover: %v", n)
		}
		// Released (Retry at now, as a stopping sender does): beta is
		// served again before alpha's backlog.
		var back []RetryJob
		for _, j := range leased {
			back = append(back, RetryJob{ID: j.ID, At: f.clock.Now(), Reason: "shutdown"})
		}
		if n, err := f.st.Retry(f.ctx, f.ch, back); err != nil || n != 2 {
			f.t.Fatalf("Retry %d %v", n, err)
		}
		if n := countByRequestPrefix(f.lease(10)); n['b'] != 2 {
			f.t.Fatalf("after release: %v", n)
		}
	})
}

func TestCreateValidatesFairFields(t *testing.T) {
	backends(t, func(f *fixture) {
		for name, mod := range map[string]func(*NewRequest){
			"NewRequest.Tenant":    func(r *NewRequest) { r.Tenant = "Acme" },
			"NewRequest.Weight":    func(r *NewRequest) { r.Weight = 101 },
			"NewRequest.Priority":  func(r *NewRequest) { r.Priority = 2 },
			"NewRequest.UTCOffset": func(r *NewRequest) { r.UTCOffset = 15 * 3600 },
		} {
			req := f.request("v", 1, 1)
			mod(&req)
			err := f.st.CreateRequest(f.ctx, req)
			if err == nil || !strings.Contains(err.Error(), name) || !errors.Is(err, ErrInvalid) {
				f.t.Errorf("%s: error %v", name, err)
			}
		}
	})
}
