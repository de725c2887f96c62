package api

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// Two replicas on one Redis: a tenant created through the first
// authenticates on the second within a second, a revoked key is refused
// by both within a second, and the tenant's request rate holds for the
// pair.
func TestTwoReplicas(t *testing.T) {
	env := testenv.Redis(t)
	one, two := newHarnessOn(t, env), newHarnessOn(t, env)
	key := one.createTenantWithKey(t, "duo", map[string]any{"max_requests_per_sec": 2}, "cm1")
	testenv.WaitFor(t, time.Second, "the key authenticates on the other replica", func() bool {
		_, _, ok := two.registry.Snapshot().Authenticate(key)
		return ok
	})

	// The rate: a GCRA with a burst of one second's worth, shared.
	start := time.Now()
	accepted := 0
	for i := range 8 {
		h := one
		if i%2 == 1 {
			h = two
		}
		switch r := h.post(t, key, sendOne); r.status {
		case http.StatusAccepted:
			accepted++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("POST /sms: %d %s", r.status, r.body)
		}
	}
	if most := 2 + int(math.Ceil(2*time.Since(start).Seconds())); accepted < 2 || accepted > most {
		t.Fatalf("%d of 8 accepted across the replicas, want 2..%d", accepted, most)
	}

	// Revoked through the second replica: refused by both within a second.
	var view TenantView
	two.admin(t, http.MethodGet, "/admin/tenants/duo", nil).json(t, &view)
	if len(view.Keys) != 1 {
		t.Fatalf("keys %+v", view.Keys)
	}
	if r := two.admin(t, http.MethodDelete, "/admin/tenants/duo/keys/"+view.Keys[0].ID, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	testenv.WaitFor(t, time.Second, "the revoked key is refused by both replicas", func() bool {
		_, _, ok1 := one.registry.Snapshot().Authenticate(key)
		_, _, ok2 := two.registry.Snapshot().Authenticate(key)
		return !ok1 && !ok2
	})
	expectErr(t, one.post(t, key, sendOne), 401, CodeUnauthorized)
	expectErr(t, two.post(t, key, sendOne), 401, CodeUnauthorized)
}
