package store

import (
	"testing"
	"time"
)

func TestAllowRequestsBatch(t *testing.T) {
	backends(t, func(f *fixture) {
		take := func(tenant string, perSec, n int) int {
			k, err := f.st.AllowRequests(f.ctx, tenant, perSec, n)
			if err != nil {
				f.t.Fatal(err)
			}
			return k
		}
		// The burst is one second's worth: 5 of 8, then none.
		if k := take("acme", 5, 8); k != 5 {
			f.t.Fatalf("burst: %d allowed, want 5", k)
		}
		if k := take("acme", 5, 3); k != 0 {
			f.t.Fatalf("over the rate: %d allowed, want 0", k)
		}
		// It shares AllowRequest's budget.
		if ok, _, err := f.st.AllowRequest(f.ctx, "acme", 5); err != nil || ok {
			f.t.Fatalf("AllowRequest after the batch: %v %v, want refused", ok, err)
		}
		f.clock.Advance(400 * time.Millisecond)
		if k := take("acme", 5, 10); k != 2 {
			f.t.Fatalf("after 400ms: %d allowed, want 2", k)
		}
		f.clock.Advance(2 * time.Second)
		if k := take("acme", 5, 3); k != 3 {
			f.t.Fatalf("after a pause: %d allowed, want 3", k)
		}
		if k := take("beta", 0, 7); k != 7 {
			f.t.Fatalf("no limit: %d allowed, want 7", k)
		}
		if k := take("beta", 5, 0); k != 0 {
			f.t.Fatalf("n 0: %d allowed", k)
		}
		if _, err := f.st.AllowRequests(f.ctx, "Bad:name", 5, 1); err == nil {
			f.t.Fatal("AllowRequests accepted a bad tenant")
		}
	})
}
