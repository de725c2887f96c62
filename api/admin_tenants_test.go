package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
)

// globex is the body of the tenant the admin tests create.
func globex() map[string]any {
	return map[string]any{
		"name": "globex", "channels": []string{"cm1", "cm2"}, "callback_url": "https://hooks.globex.example/sms",
		"webhook_secret": globexSecret, "limits": map[string]any{"max_segments_per_day": 1000},
		"time_zone": "Europe/Berlin", "weight": 3,
	}
}

const (
	globexSecret  = "globex-webhook-secret-0123456789"
	globexSecret2 = "globex-webhook-secret-rotated-987"
)

// sendOne is a POST /sms body of one recipient and one segment.
var sendOne = map[string]any{"to": []string{"13800138000"}, "content": "hi"}

// waitStatus waits until POST /sms with key answers status.
func (h *harness) waitStatus(t *testing.T, key string, status int, why string) response {
	t.Helper()
	var r response
	testenv.WaitFor(t, 5*time.Second, why, func() bool {
		r = h.post(t, key, sendOne)
		return r.status == status
	})
	return r
}

// expectErr requires an error answer of status and code.
func expectErr(t *testing.T, r response, status int, code Code) ErrorBody {
	t.Helper()
	if r.status != status {
		t.Fatalf("answer %d %s, want %d %s", r.status, r.body, status, code)
	}
	e := r.errBody(t)
	if e.Code != code {
		t.Fatalf("code %s (%s), want %s", e.Code, e.Message, code)
	}
	return e
}

// A tenant's whole life through the admin API: created (defaults, no
// secret shown), given a key that authenticates, changed by merge patch
// (limits merged, secret rotated), disabled (403), its key revoked (401),
// deleted; every bad input is a 4xx {code, message}; config tenants are
// read-only; no secret or key is ever in an answer (but the one creating
// the key) or in the log.
func TestAdminTenantLifecycle(t *testing.T) {
	h := newHarness(t)
	var bodies []string
	keep := func(r response) response { bodies = append(bodies, string(r.body)); return r }

	// Authentication of the admin routes.
	expectErr(t, h.do(t, http.MethodGet, "/admin/tenants", "", nil), 401, CodeUnauthorized)
	expectErr(t, h.do(t, http.MethodGet, "/admin/tenants", acmeKey, nil), 401, CodeUnauthorized)

	// Bad input.
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", `{"name": "x",`), 400, CodeMalformedJSON)
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", `{"name": "x", "colour": "red"}`), 400, CodeUnknownField)
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", `{"name": "x", "limits": {"per_minute": 1}}`), 400, CodeUnknownField)
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", `{"name": "x", "weight": "heavy"}`), 400, CodeMalformedJSON)
	// Names are case-sensitive: encoding/json would match "Name" and
	// "Limits"/"Max_Requests_Per_Sec", and a PATCH of {"Disabled": true}
	// would then answer 200 and change nothing.
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", `{"Name": "x"}`), 400, CodeUnknownField)
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", `{"name": "x", "limits": {"Max_Requests_Per_Sec": 1}}`), 400, CodeUnknownField)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/acme", `{"Disabled": true}`), 400, CodeUnknownField)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/channels/default", `{"Secret": "new-secret"}`), 400, CodeUnknownField)
	zero := globex()
	zero["weight"] = 0
	if e := expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", zero), 422, CodeInvalidField); !strings.HasPrefix(e.Message, "weight: ") {
		t.Fatalf("weight 0: %q does not name the field", e.Message)
	}
	bad := globex()
	bad["channels"] = []string{}
	bad["weight"] = 1000
	e := expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", bad), 422, CodeInvalidField)
	if !strings.Contains(e.Message, "channels") || !strings.Contains(e.Message, "weight") {
		t.Fatalf("422 message %q does not name every bad field", e.Message)
	}
	dup := globex()
	dup["name"] = "acme"
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", dup), 409, CodeConflict)

	// Created: 201 with the view.
	r := keep(h.admin(t, http.MethodPost, "/admin/tenants", globex()))
	if r.status != http.StatusCreated || r.header.Get("Location") != "/admin/tenants/globex" {
		t.Fatalf("create: %d %s (Location %q)", r.status, r.body, r.header.Get("Location"))
	}
	var v TenantView
	r.json(t, &v)
	if v.Name != "globex" || !v.WebhookSecretSet || v.ManagedBy != "api" || len(v.Keys) != 0 || v.Weight != 3 ||
		v.TimeZone != "Europe/Berlin" || v.Limits.MaxSegmentsPerDay != 1000 || v.PreviousSecretUntil != nil {
		t.Fatalf("created view %s", r.body)
	}
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", globex()), 409, CodeConflict)

	// A key: shown once; it authenticates on POST /sms.
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants/nobody/keys", nil), 404, CodeNotFound)
	r = h.admin(t, http.MethodPost, "/admin/tenants/globex/keys", nil)
	var nk NewKeyResponse
	r.json(t, &nk)
	if r.status != http.StatusCreated || nk.ID == "" || len(nk.Key) < 16 || nk.CreatedAt.IsZero() {
		t.Fatalf("create key: %d %s", r.status, r.body)
	}
	acc := h.waitStatus(t, nk.Key, http.StatusAccepted, "the new key authenticates")
	var sent SendResponse
	acc.json(t, &sent)
	if sent.Channel != "cm1" {
		t.Fatalf("default channel %q, want cm1", sent.Channel)
	}

	// GET one and the list show the key with its last use, and the config
	// tenants as managed by config.
	testenv.WaitFor(t, 5*time.Second, "last_used_at of the key", func() bool {
		r = keep(h.admin(t, http.MethodGet, "/admin/tenants/globex", nil))
		v = TenantView{}
		r.json(t, &v)
		return r.status == 200 && len(v.Keys) == 1 && v.Keys[0].ID == nk.ID && v.Keys[0].LastUsedAt != nil
	})
	r = keep(h.admin(t, http.MethodGet, "/admin/tenants", nil))
	var list TenantList
	r.json(t, &list)
	var names []string
	for _, tv := range list.Tenants {
		names = append(names, tv.Name+":"+tv.ManagedBy)
	}
	if strings.Join(names, ",") != "acme:config,beta:config,globex:api" {
		t.Fatalf("tenants %v", names)
	}
	expectErr(t, h.admin(t, http.MethodGet, "/admin/tenants/nobody", nil), 404, CodeNotFound)

	// PATCH merges: limits field by field; null resets to the default.
	r = keep(h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"limits": {"max_requests_per_sec": 50}, "weight": null}`))
	v = TenantView{}
	r.json(t, &v)
	if r.status != 200 || v.Limits.MaxRequestsPerSec != 50 || v.Limits.MaxSegmentsPerDay != 1000 || v.Weight != 1 ||
		v.CallbackURL != "https://hooks.globex.example/sms" {
		t.Fatalf("patch limits: %d %s", r.status, r.body)
	}
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"name": "other"}`), 422, CodeInvalidField)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"weight": 0}`), 422, CodeInvalidField)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"wieght": 2}`), 400, CodeUnknownField)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"channels": ["nope"]}`), 422, CodeInvalidField)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/globex", `[1]`), 400, CodeMalformedJSON)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/nobody", `{"weight": 2}`), 404, CodeNotFound)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/acme", `{"weight": 2}`), 409, CodeManagedByConfig)
	expectErr(t, h.admin(t, http.MethodDelete, "/admin/tenants/acme", nil), 409, CodeManagedByConfig)

	// A new webhook secret rotates: the previous one signs until
	// previous_secret_until.
	r = keep(h.admin(t, http.MethodPatch, "/admin/tenants/globex", map[string]any{"webhook_secret": globexSecret2}))
	v = TenantView{}
	r.json(t, &v)
	if r.status != 200 || v.PreviousSecretUntil == nil || !v.PreviousSecretUntil.After(time.Now()) {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	snapT, ok := h.registry.Snapshot().Tenant("globex")
	if !ok || strings.Join(snapT.Secrets(time.Now()), ",") != globexSecret2+","+globexSecret {
		t.Fatalf("secrets after rotation: %v", ok)
	}

	// Disabled: 403 tenant_disabled on every /sms route, enabled again: 202.
	keep(h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"disabled": true}`))
	r = h.waitStatus(t, nk.Key, http.StatusForbidden, "a disabled tenant is refused")
	expectErr(t, r, 403, CodeTenantDisabled)
	expectErr(t, h.do(t, http.MethodGet, "/sms/"+sent.ID, nk.Key, nil), 403, CodeTenantDisabled)
	keep(h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"disabled": false}`))
	h.waitStatus(t, nk.Key, http.StatusAccepted, "an enabled tenant is served again")

	// A second key, then the first revoked: 401 for it, 202 for the other.
	r = h.admin(t, http.MethodPost, "/admin/tenants/globex/keys", nil)
	var nk2 NewKeyResponse
	r.json(t, &nk2)
	if r.status != 201 || nk2.ID == nk.ID || nk2.Key == nk.Key {
		t.Fatalf("second key: %d %s", r.status, r.body)
	}
	expectErr(t, h.admin(t, http.MethodDelete, "/admin/tenants/globex/keys/nope", nil), 404, CodeNotFound)
	if r := h.admin(t, http.MethodDelete, "/admin/tenants/globex/keys/"+nk.ID, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	expectErr(t, h.waitStatus(t, nk.Key, http.StatusUnauthorized, "a revoked key is refused"), 401, CodeUnauthorized)
	h.waitStatus(t, nk2.Key, http.StatusAccepted, "the other key still works")

	// Deleted: its keys stop, GET is 404.
	if r := h.admin(t, http.MethodDelete, "/admin/tenants/globex", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	h.waitStatus(t, nk2.Key, http.StatusUnauthorized, "a deleted tenant's key is refused")
	expectErr(t, h.admin(t, http.MethodGet, "/admin/tenants/globex", nil), 404, CodeNotFound)
	expectErr(t, h.admin(t, http.MethodDelete, "/admin/tenants/globex", nil), 404, CodeNotFound)

	// No secret in any answer kept, nor in the log (API and audit).
	secrets := []string{globexSecret, globexSecret2, acmeSecret, betaSecret, nk.Key, nk2.Key, adminKey}
	for _, b := range bodies {
		for _, sec := range secrets {
			if strings.Contains(b, sec) {
				t.Fatalf("a secret is in an answer: %s", b)
			}
		}
	}
	// The audit log names the admin credential by its id only.
	if want := `"actor":"admin:` + sha(adminKey)[:8] + `"`; !strings.Contains(h.audit.String(), want) {
		t.Fatalf("the audit log has no %s", want)
	}
	logs := h.logs.String() + h.audit.String()
	for _, sec := range secrets {
		if strings.Contains(logs, sec) {
			t.Fatalf("a secret is in the log")
		}
	}
}
