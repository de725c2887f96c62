package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// usageOf reads GET /admin/tenants/{name}/usage with query q.
func (h *harness) usageOf(t *testing.T, name, q string) UsageResponse {
	t.Helper()
	r := h.admin(t, http.MethodGet, "/admin/tenants/"+name+"/usage"+q, nil)
	if r.status != http.StatusOK {
		t.Fatalf("usage of %s%s: %d %s", name, q, r.status, r.body)
	}
	var u UsageResponse
	r.json(t, &u)
	return u
}

// Usage is counted per day of the tenant's zone and summed over every
// channel: at 17:30 UTC on 10 March it is the 11th in Shanghai and still
// the 10th in Berlin. from/to default to today; bad ranges are 400.
func TestAdminUsage(t *testing.T) {
	env := testenv.Redis(t)
	at := time.Date(2026, 3, 10, 17, 30, 0, 0, time.UTC)
	h := newHarnessWith(t, env, store.Options{Prefix: env.Prefix, Now: func() time.Time { return at }})
	h.mustAccept(t, acmeKey, map[string]any{"to": []string{"13800138000", "13800138001"}, "content": "x"})
	h.mustAccept(t, betaKey, sendOne)                                                                         // cm2
	h.mustAccept(t, betaKey, map[string]any{"to": []string{"13800138000"}, "content": "y", "channel": "cm1"}) // cm1
	berlin := h.createTenantWithKey(t, "berlin", nil, "cm1")
	if r := h.admin(t, http.MethodPatch, "/admin/tenants/berlin", `{"time_zone": "Europe/Berlin"}`); r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	testenv.WaitFor(t, 5*time.Second, "berlin's zone", func() bool {
		tn, ok := h.registry.Snapshot().Tenant("berlin")
		return ok && tn.TimeZone == "Europe/Berlin"
	})
	h.mustAccept(t, berlin, map[string]any{"to": []string{"13800138000"}, "content": "z"})

	u := h.usageOf(t, "acme", "")
	if u.Tenant != "acme" || u.TimeZone != "Asia/Shanghai" || len(u.Days) != 1 || u.Days[0] != (UsageDay{Date: "2026-03-11", Accepted: 2}) {
		t.Fatalf("acme today: %+v", u)
	}
	u = h.usageOf(t, "acme", "?from=2026-03-10&to=2026-03-12")
	if len(u.Days) != 3 || u.Days[0] != (UsageDay{Date: "2026-03-10"}) || u.Days[1].Accepted != 2 || u.Days[2] != (UsageDay{Date: "2026-03-12"}) {
		t.Fatalf("acme 10..12: %+v", u)
	}
	if u := h.usageOf(t, "beta", "?to=2026-03-11"); len(u.Days) != 1 || u.Days[0].Accepted != 2 {
		t.Fatalf("beta over both channels: %+v", u)
	}
	if u := h.usageOf(t, "berlin", ""); u.TimeZone != "Europe/Berlin" || len(u.Days) != 1 || u.Days[0] != (UsageDay{Date: "2026-03-10", Accepted: 1}) {
		t.Fatalf("berlin today: %+v", u)
	}
	if u := h.usageOf(t, "acme", "?from=2025-03-12&to=2026-03-12"); len(u.Days) != 366 {
		t.Fatalf("366 days: %d", len(u.Days))
	}

	for _, q := range []string{"?from=2026-3-1", "?to=tomorrow", "?from=2026-03-12&to=2026-03-11", "?from=2025-03-11&to=2026-03-12", "?from=2026-03-12"} {
		expectErr(t, h.admin(t, http.MethodGet, "/admin/tenants/acme/usage"+q, nil), 400, CodeInvalidParam)
	}
	expectErr(t, h.admin(t, http.MethodGet, "/admin/tenants/nobody/usage", nil), 404, CodeNotFound)
}
