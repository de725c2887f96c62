package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/registry"
)

// prefixCarriers is the tests' carrier lookup: 138… cmcc, 186… cucc,
// 189… ctcc, 192… cbn, anything else unknown.
func prefixCarriers(_ context.Context, numbers []string) ([]string, error) {
	out := make([]string, len(numbers))
	for i, n := range numbers {
		out[i] = map[string]string{"138": "cmcc", "186": "cucc", "189": "ctcc", "192": "cbn"}[n[:3]]
	}
	return out, nil
}

// routedSetup: cm1 reaches China Mobile, cm2 Unicom and Telecom; beta
// (default cm2) routes cmcc to cm1 and everything else to cm2; acme has
// no routes (cm1 only).
func routedSetup(su *setup) {
	su.carriers = prefixCarriers
	su.channels[0].Carriers = []string{"cmcc"}
	su.channels[1].Carriers = []string{"cucc", "ctcc"}
	for i := range su.tenants {
		if su.tenants[i].Name == "beta" {
			su.tenants[i].Routes = registry.Routes{"cmcc": {{"cm1": 1}}, "*": {{"cm2": 1}}}
		}
	}
}

func TestSendRoutedByCarrier(t *testing.T) {
	h := newHarness(t, routedSetup)
	if got := h.mustAccept(t, betaKey, map[string]any{"to": []string{"13800000001"}, "content": "hi"}); got.Channel != "cm1" {
		t.Fatalf("China Mobile number: channel %q, want cm1 (the cmcc route)", got.Channel)
	}
	if got := h.mustAccept(t, betaKey, map[string]any{"to": []string{"+8618600000001"}, "content": "hi"}); got.Channel != "cm2" {
		t.Fatalf("China Unicom number: channel %q, want cm2 (the * route)", got.Channel)
	}
	if p1, p2 := h.pending(t, "cm1"), h.pending(t, "cm2"); p1 != 1 || p2 != 1 {
		t.Fatalf("queued cm1 %d, cm2 %d; want 1 and 1", p1, p2)
	}

	// A number no channel reaches: 422 no_route naming its index in "to"
	// (duplicates counted) and its carrier, never the number.
	r := h.post(t, betaKey, map[string]any{"to": []string{"13800000001", "8613800000001", "19200000001"}, "content": "hi"})
	e := expectErr(t, r, http.StatusUnprocessableEntity, CodeNoRoute)
	if e.Index == nil || *e.Index != 2 || e.Carrier == nil || *e.Carrier != "cbn" || !strings.Contains(e.Message, "to[2]") {
		t.Fatalf("no_route body %s, want index 2 carrier cbn", r.body)
	}
	if strings.Contains(string(r.body), "19200000001") {
		t.Fatalf("the answer names the number: %s", r.body)
	}
	// A named channel must reach every number's carrier.
	r = h.post(t, betaKey, map[string]any{"to": []string{"18900000001"}, "content": "hi", "channel": "cm1"})
	if e := expectErr(t, r, http.StatusUnprocessableEntity, CodeNoRoute); *e.Index != 0 || *e.Carrier != "ctcc" || !strings.Contains(e.Message, `"cm1"`) {
		t.Fatalf("named cm1 for a Telecom number: %s", r.body)
	}
	h.mustAccept(t, betaKey, map[string]any{"to": []string{"18900000001"}, "content": "hi", "channel": "cm2"})
	// Without routes: the default channel when it reaches the carrier,
	// else no_route.
	h.mustAccept(t, acmeKey, map[string]any{"to": []string{"13800000001"}, "content": "hi"})
	expectErr(t, h.post(t, acmeKey, map[string]any{"to": []string{"18600000001"}, "content": "hi"}), http.StatusUnprocessableEntity, CodeNoRoute)
	// Recipients on two channels: one request, in two parts.
	h.mustAccept(t, betaKey, map[string]any{"to": []string{"13800000001", "18600000001"}, "content": "hi"})
	// "ext" is checked on the channel routed to: cm2's Src_Id leaves 4
	// digits, cm1's more.
	h.mustAccept(t, betaKey, map[string]any{"to": []string{"13800000001"}, "content": "hi", "ext": "123456"})
	expectErr(t, h.post(t, betaKey, map[string]any{"to": []string{"18600000001"}, "content": "hi", "ext": "123456"}),
		http.StatusUnprocessableEntity, CodeInvalidExt)
	// A retry with the same Idempotency-Key is the same request.
	body := map[string]any{"to": []string{"13800000002"}, "content": "hi"}
	first := h.mustAccept(t, betaKey, body, IdempotencyKeyHeader, "route-1")
	r = h.post(t, betaKey, body, IdempotencyKeyHeader, "route-1")
	var again SendResponse
	r.json(t, &again)
	if r.status != http.StatusAccepted || again.ID != first.ID || r.header.Get(IdempotentReplayedHeader) != "true" {
		t.Fatalf("retry: %d %s, want the replay of %s", r.status, r.body, first.ID)
	}
}

func TestAdminTenantRoutes(t *testing.T) {
	h := newHarness(t, routedSetup)
	if r := h.admin(t, http.MethodPost, "/admin/tenants", globex()); r.status != http.StatusCreated {
		t.Fatalf("create globex: %d %s", r.status, r.body)
	}
	r := h.admin(t, http.MethodGet, "/admin/tenants/globex/routes", nil)
	if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != "{}" {
		t.Fatalf("routes of a new tenant: %d %s, want {}", r.status, r.body)
	}
	routes := map[string]any{"cmcc": []any{map[string]int{"cm1": 3}, map[string]int{"cm2": 1}}}
	r = h.admin(t, http.MethodPut, "/admin/tenants/globex/routes", routes)
	expectErr(t, r, http.StatusUnprocessableEntity, CodeInvalidField)
	if !strings.Contains(string(r.body), `routes.cmcc[1].cm2: channel \"cm2\" does not reach carrier cmcc`) {
		t.Fatalf("invalid routes: %s", r.body)
	}
	routes = map[string]any{"cmcc": []any{map[string]int{"cm1": 3}}, "*": []any{map[string]int{"cm2": 1}}}
	if r = h.admin(t, http.MethodPut, "/admin/tenants/globex/routes", routes); r.status != http.StatusOK {
		t.Fatalf("PUT routes: %d %s", r.status, r.body)
	}
	var got registry.Routes
	r.json(t, &got)
	if got["cmcc"][0]["cm1"] != 3 || got["*"][0]["cm2"] != 1 {
		t.Fatalf("stored routes %v", got)
	}
	var view TenantView
	h.admin(t, http.MethodGet, "/admin/tenants/globex", nil).json(t, &view)
	if view.Routes["cmcc"][0]["cm1"] != 3 {
		t.Fatalf("tenant view routes %v", view.Routes)
	}
	// Merge patch: a carrier set to null drops its route.
	r = h.admin(t, http.MethodPatch, "/admin/tenants/globex", map[string]any{"routes": map[string]any{"cmcc": nil}})
	var patched TenantView
	r.json(t, &patched)
	if r.status != http.StatusOK || len(patched.Routes) != 1 || patched.Routes["*"] == nil {
		t.Fatalf("PATCH routes.cmcc null: %d %s", r.status, r.body)
	}
	// {} removes them; a config tenant is read-only.
	r = h.admin(t, http.MethodPut, "/admin/tenants/globex/routes", map[string]any{})
	if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != "{}" {
		t.Fatalf("PUT {}: %d %s", r.status, r.body)
	}
	expectErr(t, h.admin(t, http.MethodPut, "/admin/tenants/beta/routes", map[string]any{}), http.StatusConflict, CodeManagedByConfig)
	expectErr(t, h.admin(t, http.MethodGet, "/admin/tenants/nobody/routes", nil), http.StatusNotFound, CodeNotFound)
	expectErr(t, h.admin(t, http.MethodPut, "/admin/tenants/globex/routes", "null"), http.StatusBadRequest, CodeMalformedJSON)
	expectErr(t, h.admin(t, http.MethodPut, "/admin/tenants/globex/routes", `{"cmcc": [{"cm1": "x"}]}`), http.StatusBadRequest, CodeMalformedJSON)
}
