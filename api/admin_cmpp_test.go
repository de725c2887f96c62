package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/smsbridge/smsbridge/registry"
)

const (
	globexCMPPSecret  = "globex-cmpp-s3cret"
	globexCMPPSecret2 = "globex-cmpp-r0tated"
	acmeCMPPSecret    = "acme-cmpp-s3cret"
)

// globexCMPP is a tenant body with a CMPP block.
func globexCMPP() map[string]any {
	b := globex()
	b["cmpp"] = map[string]any{"account": "910002", "secret": globexCMPPSecret, "service_code": "1065800002"}
	return b
}

// withAcmeCMPP gives the config tenant acme CMPP access.
func withAcmeCMPP(su *setup) {
	su.tenants[0].CMPP = &registry.CMPPAccess{Account: "910001", Secret: acmeCMPPSecret, ServiceCode: "1065800001",
		AllowedIPs: []string{"127.0.0.1"}}
}

// The cmpp block through the admin API: created with defaults, shown
// without its secret, its keys checked exactly and by value (every bad
// key named), its account unique, merged by PATCH (null removes it), and
// its secret never in an answer or the audit log.
func TestAdminTenantCMPP(t *testing.T) {
	h := newHarness(t, withAcmeCMPP)
	var bodies []string
	keep := func(r response) response { bodies = append(bodies, string(r.body)); return r }

	// Key names are exact, inside the block too.
	bad := globexCMPP()
	bad["cmpp"] = map[string]any{"Account": "910002", "secret": "x", "service_code": "1"}
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", bad), 400, CodeUnknownField)
	bad["cmpp"] = map[string]any{"account": "910002", "secret": "x", "service_code": "1", "password": "x"}
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", bad), 400, CodeUnknownField)
	bad["cmpp"] = map[string]any{"account": 910002}
	expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", bad), 400, CodeMalformedJSON)
	// An explicit max_links 0 is not the default.
	bad["cmpp"] = map[string]any{"account": "910002", "secret": "x", "service_code": "1", "max_links": 0}
	if e := expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", bad), 422, CodeInvalidField); !strings.HasPrefix(e.Message, "cmpp.max_links: ") {
		t.Fatalf("max_links 0: %q", e.Message)
	}
	// Every bad value is named; the secret is never quoted.
	bad["cmpp"] = map[string]any{"account": "9100021", "secret": strings.Repeat("z", 65), "service_code": "10658x",
		"max_links": 1001, "max_submits_per_sec": -1, "allowed_ips": []string{"10.0.0.0/8", "nope"}, "version": "2.1"}
	e := expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", bad), 422, CodeInvalidField)
	for _, k := range []string{"cmpp.account: ", "cmpp.secret: ", "cmpp.service_code: ", "cmpp.max_links: ",
		"cmpp.max_submits_per_sec: ", "cmpp.allowed_ips[1]: ", "cmpp.version: "} {
		if !strings.Contains(e.Message, k) {
			t.Errorf("422 %q does not name %s", e.Message, k)
		}
	}
	if strings.Contains(e.Message, "zzzz") {
		t.Errorf("422 shows the secret: %q", e.Message)
	}
	bad["cmpp"] = map[string]any{}
	e = expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", bad), 422, CodeInvalidField)
	for _, k := range []string{"cmpp.account: required", "cmpp.secret: required", "cmpp.service_code: required"} {
		if !strings.Contains(e.Message, k) {
			t.Errorf("empty block: %q does not name %s", e.Message, k)
		}
	}
	// The account is acme's.
	dup := globexCMPP()
	dup["cmpp"].(map[string]any)["account"] = "910001"
	e = expectErr(t, h.admin(t, http.MethodPost, "/admin/tenants", dup), 422, CodeInvalidField)
	if e.Message != `invalid: cmpp.account: CMPP account "910001" is already tenant "acme"'s` {
		t.Fatalf("duplicate account: %q", e.Message)
	}

	// Created with the defaults; no secret in the answer.
	r := keep(h.admin(t, http.MethodPost, "/admin/tenants", globexCMPP()))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var v TenantView
	r.json(t, &v)
	want := CMPPView{Account: "910002", SecretSet: true, MaxLinks: registry.DefaultCMPPMaxLinks, AllowedIPs: []string{},
		Version: registry.DefaultCMPPVersion, ServiceCode: "1065800002"}
	if v.CMPP == nil || !sameCMPPView(*v.CMPP, want) || !strings.Contains(string(r.body), `"allowed_ips":[]`) {
		t.Fatalf("created cmpp view %s", r.body)
	}
	tn, ok := h.registry.Snapshot().CMPPAccount("910002")
	if !ok || tn.Name != "globex" || tn.CMPP.Secret != globexCMPPSecret {
		t.Fatalf("snapshot account: %+v %v", tn, ok)
	}

	// GET and the list show both tenants' blocks, no secret.
	r = keep(h.admin(t, http.MethodGet, "/admin/tenants/acme", nil))
	r.json(t, &v)
	if v.CMPP == nil || !sameCMPPView(*v.CMPP, CMPPView{Account: "910001", SecretSet: true, MaxLinks: 4, AllowedIPs: []string{"127.0.0.1"},
		Version: "3.0", ServiceCode: "1065800001"}) {
		t.Fatalf("config tenant's cmpp view %s", r.body)
	}
	r = keep(h.admin(t, http.MethodGet, "/admin/tenants", nil))
	var list TenantList
	r.json(t, &list)
	blocks := 0
	for _, tv := range list.Tenants {
		if tv.CMPP != nil {
			blocks++
		}
	}
	if r.status != http.StatusOK || blocks != 2 || strings.Count(string(r.body), `"secret_set":true`) != 2 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	keep(h.admin(t, http.MethodGet, "/admin/tenants/beta", nil))
	if strings.Contains(bodies[len(bodies)-1], `"cmpp"`) {
		t.Fatalf("a tenant without access shows a cmpp block: %s", bodies[len(bodies)-1])
	}

	// PATCH merges into the block: the secret stays unless given.
	r = keep(h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"cmpp": {"max_links": 8, "allowed_ips": ["10.0.0.0/8"], "version": "2.0"}}`))
	r.json(t, &v)
	if r.status != http.StatusOK || v.CMPP == nil || v.CMPP.MaxLinks != 8 || v.CMPP.Version != "2.0" || len(v.CMPP.AllowedIPs) != 1 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	if tn, _ := h.registry.Snapshot().CMPPAccount("910002"); tn.CMPP.Secret != globexCMPPSecret || tn.CMPP.MaxLinks != 8 {
		t.Fatalf("after the merge: %+v", tn.CMPP)
	}
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"cmpp": {"max_links": 0}}`), 422, CodeInvalidField)
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"cmpp": {"Secret": "x"}}`), 400, CodeUnknownField)
	if e := expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"cmpp": {"secret": null}}`), 422, CodeInvalidField); !strings.Contains(e.Message, "cmpp.secret: required") {
		t.Fatalf("secret removed: %q", e.Message)
	}
	if e := expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"cmpp": {"account": "910001"}}`), 422, CodeInvalidField); !strings.Contains(e.Message, "cmpp.account: ") {
		t.Fatalf("patched to acme's account: %q", e.Message)
	}
	// null resets a key to its default.
	r = keep(h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"cmpp": {"max_links": null, "allowed_ips": null, "version": null}}`))
	r.json(t, &v)
	if r.status != http.StatusOK || v.CMPP == nil || !sameCMPPView(*v.CMPP, want) {
		t.Fatalf("patch with nulls: %d %s", r.status, r.body)
	}
	// A new secret replaces the old one.
	r = keep(h.admin(t, http.MethodPatch, "/admin/tenants/globex", map[string]any{"cmpp": map[string]any{"secret": globexCMPPSecret2}}))
	if r.status != http.StatusOK {
		t.Fatalf("secret change: %d %s", r.status, r.body)
	}
	if tn, _ := h.registry.Snapshot().CMPPAccount("910002"); tn.CMPP.Secret != globexCMPPSecret2 {
		t.Fatal("the new CMPP secret is not stored")
	}
	// null removes the access; an object adds it back.
	r = keep(h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"cmpp": null}`))
	v = TenantView{}
	r.json(t, &v)
	if r.status != http.StatusOK || v.CMPP != nil || strings.Contains(string(r.body), `"cmpp"`) {
		t.Fatalf("cmpp removed: %d %s", r.status, r.body)
	}
	if _, ok := h.registry.Snapshot().CMPPAccount("910002"); ok {
		t.Fatal("removed account still found")
	}
	if e := expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/globex", `{"cmpp": {"max_links": 2}}`), 422, CodeInvalidField); !strings.Contains(e.Message, "cmpp.account: required") {
		t.Fatalf("partial new block: %q", e.Message)
	}
	r = keep(h.admin(t, http.MethodPatch, "/admin/tenants/globex", map[string]any{"cmpp": map[string]any{
		"account": "910003", "secret": globexCMPPSecret, "service_code": "1065800003", "max_links": 2}}))
	r.json(t, &v)
	if r.status != http.StatusOK || v.CMPP == nil || v.CMPP.Account != "910003" || v.CMPP.MaxLinks != 2 {
		t.Fatalf("cmpp added back: %d %s", r.status, r.body)
	}
	// Config tenants stay read-only.
	expectErr(t, h.admin(t, http.MethodPatch, "/admin/tenants/acme", `{"cmpp": null}`), 409, CodeManagedByConfig)

	// No CMPP secret in any answer or in the audit log.
	audit := h.audit.String()
	for _, s := range []string{globexCMPPSecret, globexCMPPSecret2, acmeCMPPSecret} {
		for _, b := range bodies {
			if strings.Contains(b, s) {
				t.Fatalf("an answer shows the CMPP secret %q: %s", s, b)
			}
		}
		if strings.Contains(audit, s) {
			t.Fatalf("the audit log shows the CMPP secret %q", s)
		}
	}
	if !strings.Contains(audit, `"secret":"[redacted]"`) {
		t.Fatalf("audit log without a redacted CMPP secret:\n%s", audit)
	}
}

func sameCMPPView(a, b CMPPView) bool {
	return a.Account == b.Account && a.SecretSet == b.SecretSet && a.MaxLinks == b.MaxLinks &&
		a.MaxSubmitsPerSec == b.MaxSubmitsPerSec && strings.Join(a.AllowedIPs, ",") == strings.Join(b.AllowedIPs, ",") &&
		a.Version == b.Version && a.ServiceCode == b.ServiceCode
}
