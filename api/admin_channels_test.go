package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// cm3 is the body of a channel the admin tests create.
func cm3(name string) map[string]any {
	return map[string]any{
		"name": name, "addr": "127.0.0.1:7893", "sp_id": "901239", "secret": "cm3-ismg-secret",
		"src_id": "1065800003", "window": 4, "response_timeout": "5s",
	}
}

// createTenantWithKey makes tenant name allowed on channels and returns an
// API key of it that authenticates.
func (h *harness) createTenantWithKey(t *testing.T, name string, limits map[string]any, channels ...string) string {
	t.Helper()
	body := map[string]any{"name": name, "channels": channels, "webhook_secret": name + "-webhook-secret-0123456789"}
	if limits != nil {
		body["limits"] = limits
	}
	if r := h.admin(t, http.MethodPost, "/admin/tenants", body); r.status != http.StatusCreated {
		t.Fatalf("create tenant %s: %d %s", name, r.status, r.body)
	}
	r := h.admin(t, http.MethodPost, "/admin/tenants/"+name+"/keys", nil)
	var nk NewKeyResponse
	r.json(t, &nk)
	if r.status != http.StatusCreated {
		t.Fatalf("create key: %d %s", r.status, r.body)
	}
	testenv.WaitFor(t, 5*time.Second, "tenant "+name+" authenticates", func() bool {
		_, _, ok := h.registry.Snapshot().Authenticate(nk.Key)
		return ok
	})
	return nk.Key
}

// getChannelView reads GET /admin/channels/{name}.
func (h *harness) getChannelView(t *testing.T, name string) ChannelView {
	t.Helper()
	r := h.admin(t, http.MethodGet, "/admin/channels/"+name, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET channel %s: %d %s", name, r.status, r.body)
	}
	var v ChannelView
	r.json(t, &v)
	return v
}

// Channels through the admin API: listed without secrets, created,
// patched, their queue visible per tenant, deleted (POST /sms refused,
// queue kept), drained to another channel or failed; config channels are
// read-only; bad input is a 4xx {code, message}.
func TestAdminChannels(t *testing.T) {
	h := newHarness(t)
	r := h.admin(t, http.MethodGet, "/admin/channels", nil)
	var list ChannelList
	r.json(t, &list)
	if r.status != 200 || len(list.Channels) != 2 || list.Channels[0].Name != "cm1" || !list.Channels[0].SecretSet ||
		list.Channels[0].ManagedBy != "config" || list.Channels[0].State != ChannelActive ||
		list.Channels[0].LinksReady == nil || !*list.Channels[0].LinksReady {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "cm1-secret") {
		t.Fatalf("a channel secret is in the list: %s", r.body)
	}

	// Bad input.
	expectErr(t, h.admin(t, http.MethodPost, "/admin/channels", `{"name": "cm3", "sekret": "x"}`), 400, CodeUnknownField)
	bad := cm3("cm3")
	bad["response_timeout"] = "soon"
	e := expectErr(t, h.admin(t, http.MethodPost, "/admin/channels", bad), 422, CodeInvalidField)
	if !strings.Contains(e.Message, "response_timeout") {
		t.Fatalf("message %q does not name response_timeout", e.Message)
	}
	bad = cm3("cm3")
	delete(bad, "secret")
	bad["version"] = "9.9"
	e = expectErr(t, h.admin(t, http.MethodPost, "/admin/channels", bad), 422, CodeInvalidField)
	if !strings.Contains(e.Message, "secret") || !strings.Contains(e.Message, "version") {
		t.Fatalf("message %q does not name every bad field", e.Message)
	}
	bad = cm3("cm3")
	bad["max_links"] = -1
	e = expectErr(t, h.admin(t, http.MethodPost, "/admin/channels", bad), 422, CodeInvalidField)
	if !strings.Contains(e.Message, "max_links") {
		t.Fatalf("message %q does not name max_links", e.Message)
	}
	expectErr(t, h.admin(t, http.MethodPost, "/admin/channels", cm3("cm1")), 409, CodeConflict)

	// Created, then patched.
	r = h.admin(t, http.MethodPost, "/admin/channels", cm3("cm3"))
	var v ChannelView
	r.json(t, &v)
	if r.status != 201 || v.Name != "cm3" || v.ManagedBy != "api" || !v.SecretSet || v.Window != 4 ||
		v.ResponseTimeout != "5s" || v.State != ChannelActive || strings.Contains(string(r.body), "cm3-ismg-secret") {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if v.MaxLinks != 0 {
		t.Fatalf("create: max_links %d, want the default 0", v.MaxLinks)
	}
	r = h.admin(t, http.MethodPatch, "/admin/channels/cm3", `{"window": 8, "secret": "cm3-ismg-secret-2", "response_timeout": null, "max_links": 3}`)
	v = ChannelView{}
	r.json(t, &v)
	if r.status != 200 || v.Window != 8 || v.MaxLinks != 3 || v.SrcID != "1065800003" || v.ResponseTimeout == "5s" ||
		strings.Contains(string(r.body), "cm3-ismg-secret") {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	if ch, _ := h.registry.Snapshot().Channel("cm3"); ch == nil || ch.Secret != "cm3-ismg-secret-2" {
		t.Fatalf("the secret was not changed")
	}
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/channels/cm3", `{"idle_interval": "often"}`), 422, CodeInvalidField)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/channels/cm3", `{"name": "cm4"}`), 422, CodeInvalidField)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/channels/cm1", `{"window": 8}`), 409, CodeManagedByConfig)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/channels/nope", `{"window": 8}`), 404, CodeNotFound)
	expectErr(t, h.admin(t, http.MethodDelete, "/admin/channels/cm1", nil), 409, CodeManagedByConfig)

	// Queue and drain only for deleted channels.
	expectErr(t, h.admin(t, http.MethodPost, "/admin/channels/cm3/fail-queued", nil), 409, CodeChannelActive)
	expectErr(t, h.admin(t, http.MethodPost, "/admin/channels/cm3/drain-to/cm1", nil), 409, CodeChannelActive)
	expectErr(t, h.admin(t, http.MethodPost, "/admin/channels/nope/fail-queued", nil), 404, CodeNotFound)

	// Traffic on cm3: queued per tenant.
	key := h.createTenantWithKey(t, "initech", nil, "cm3", "cm1")
	first := h.mustAccept(t, key, map[string]any{"to": []string{"13800138000", "13800138001"}, "content": "hi"})
	if first.Channel != "cm3" {
		t.Fatalf("channel %q", first.Channel)
	}
	if q := h.getChannelView(t, "cm3").Queued; q["initech"] != 2 || len(q) != 1 {
		t.Fatalf("queued %v, want initech: 2", q)
	}

	// Deleted once no tenant lists it: state deleted, POST /sms refused,
	// queue kept.
	e = expectErr(t, h.admin(t, http.MethodDelete, "/admin/channels/cm3", nil), 422, CodeInvalidField)
	if !strings.Contains(e.Message, "initech") {
		t.Fatalf("message %q does not name the tenant", e.Message)
	}
	if r := h.admin(t, http.MethodPatch, "/admin/tenants/initech", `{"channels": ["cm1"]}`); r.status != 200 {
		t.Fatalf("patch initech: %d %s", r.status, r.body)
	}
	if r := h.admin(t, http.MethodDelete, "/admin/channels/cm3", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	testenv.WaitFor(t, 5*time.Second, "cm3 deleted", func() bool { return h.getChannelView(t, "cm3").State == ChannelDeleted })
	v = h.getChannelView(t, "cm3")
	if v.DeletedAt == nil || v.Queued["initech"] != 2 || *v.LinksReady {
		t.Fatalf("deleted view %+v", v)
	}
	expectErr(t, h.post(t, key, map[string]any{"to": []string{"13800138000"}, "content": "x", "channel": "cm3"}), 422, CodeUnknownChannel)

	// Drain: to a missing or deleted channel refused, then to cm1.
	expectErr(t, h.admin(t, http.MethodPost, "/admin/channels/cm3/drain-to/nope", nil), 404, CodeNotFound)
	expectErr(t, h.admin(t, http.MethodPost, "/admin/channels/cm3/drain-to/cm3", nil), 409, CodeConflict)
	before := h.pending(t, "cm1")
	r = h.admin(t, http.MethodPost, "/admin/channels/cm3/drain-to/cm1", nil)
	var dr DrainResponse
	r.json(t, &dr)
	if r.status != 200 || dr.MovedRequests != 1 || dr.MovedSegments != 2 || dr.LeftRequests != 0 {
		t.Fatalf("drain: %d %s", r.status, r.body)
	}
	if got := h.pending(t, "cm1"); got != before+2 {
		t.Fatalf("cm1 pending %d, want %d", got, before+2)
	}
	if q := h.getChannelView(t, "cm3").Queued; len(q) != 0 {
		t.Fatalf("cm3 still queues %v", q)
	}

	// Fail-queued: cm4 gets a request, is deleted, its queue failed.
	if r := h.admin(t, http.MethodPost, "/admin/channels", cm3("cm4")); r.status != 201 {
		t.Fatalf("create cm4: %d %s", r.status, r.body)
	}
	key4 := h.createTenantWithKey(t, "hooli", nil, "cm4")
	sent := h.mustAccept(t, key4, sendOne)
	if r := h.admin(t, http.MethodPatch, "/admin/tenants/hooli", `{"channels": ["cm1"]}`); r.status != 200 {
		t.Fatalf("patch hooli: %d %s", r.status, r.body)
	}
	if r := h.admin(t, http.MethodDelete, "/admin/channels/cm4", nil); r.status != http.StatusNoContent {
		t.Fatalf("delete cm4: %d %s", r.status, r.body)
	}
	testenv.WaitFor(t, 5*time.Second, "cm4 deleted", func() bool { return h.getChannelView(t, "cm4").State == ChannelDeleted })
	r = h.admin(t, http.MethodPost, "/admin/channels/cm4/fail-queued", nil)
	var fr FailQueuedResponse
	r.json(t, &fr)
	if r.status != 200 || fr.FailedSegments != 1 {
		t.Fatalf("fail-queued: %d %s", r.status, r.body)
	}
	var st StatusResponse
	h.do(t, http.MethodGet, "/sms/"+sent.ID, key4, nil).json(t, &st)
	if st.Status != "failed" || st.Recipients[0].ErrorCode != store.ErrCodeChannelRemoved {
		t.Fatalf("failed request %+v", st)
	}
	// No channel secret in the log (API and audit).
	for _, sec := range []string{"cm1-secret", "cm2-secret", "cm3-ismg-secret"} {
		if strings.Contains(h.logs.String()+h.audit.String(), sec) {
			t.Fatalf("a channel secret is in the log")
		}
	}
	// A deleted channel comes back with POST.
	r = h.admin(t, http.MethodPost, "/admin/channels", cm3("cm3"))
	v = ChannelView{}
	r.json(t, &v)
	if r.status != 201 || v.State != ChannelActive {
		t.Fatalf("re-create cm3: %d %s", r.status, r.body)
	}
}
