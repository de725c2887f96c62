package api

import (
	"net/http"
	"strings"
	"testing"
)

// POST /sms refuses a callback_url naming a non-public address (422
// callback_url_forbidden, with the reason) unless
// webhook.allow_private_networks, and one whose host is not in the
// tenant's webhook_hosts; nothing is written to Redis.
func TestCallbackURLForbidden(t *testing.T) {
	closed := newHarness(t)
	open := newHarness(t, func(su *setup) { su.cfg.Webhook.AllowPrivateNetworks = true })
	listed := newHarness(t, func(su *setup) {
		su.cfg.Webhook.AllowPrivateNetworks = true
		su.tenants[0].WebhookHosts = []string{"hooks.acme.example", "*.acme.example", "127.0.0.1"}
		su.tenants[0].CallbackURL = "https://hooks.acme.example/sms" // the registry checks it too
	})
	body := func(cb string) map[string]any {
		return map[string]any{"to": []string{"13800138000"}, "content": "hi", "callback_url": cb}
	}
	cases := []struct {
		name   string
		h      *harness
		cb     string
		status int
		code   Code
		reason string // in the message
	}{
		{"loopback", closed, "http://127.0.0.1:8081/webhook", 422, CodeCallbackURLForbidden, "127.0.0.1 is loopback"},
		{"loopback range", closed, "http://127.8.9.10/", 422, CodeCallbackURLForbidden, "loopback"},
		{"localhost", closed, "http://localhost:8081/webhook", 422, CodeCallbackURLForbidden, "localhost is a loopback name"},
		{"ipv6 loopback", closed, "http://[::1]/", 422, CodeCallbackURLForbidden, "::1 is loopback"},
		{"unspecified", closed, "http://0.0.0.0:8080/", 422, CodeCallbackURLForbidden, "unspecified"},
		{"v4-mapped", closed, "http://[::ffff:127.0.0.1]/", 422, CodeCallbackURLForbidden, "IPv4-mapped"},
		{"rfc1918", closed, "http://192.168.1.20/hook", 422, CodeCallbackURLForbidden, "private"},
		{"ula", closed, "http://[fd00::1]/hook", 422, CodeCallbackURLForbidden, "unique local"},
		{"metadata", closed, "http://169.254.169.254/latest/meta-data/", 422, CodeCallbackURLForbidden, "link-local"},
		{"cgnat", closed, "http://100.100.100.200/", 422, CodeCallbackURLForbidden, "CGNAT"},
		{"zone", closed, "http://[fe80::1%25eth0]/", 422, CodeCallbackURLForbidden, "zone"},
		{"multicast", closed, "http://224.0.0.251/", 422, CodeCallbackURLForbidden, "multicast"},
		{"broadcast", closed, "http://255.255.255.255/", 422, CodeCallbackURLForbidden, "broadcast"},
		{"port 0", closed, "http://hooks.acme.example:0/", 422, CodeInvalidCallbackURL, ""},
		{"port 65536", open, "http://hooks.acme.example:65536/", 422, CodeInvalidCallbackURL, ""},
		{"numeric host", open, "http://2130706433/", 422, CodeInvalidCallbackURL, ""},
		{"credentials", open, "http://user:pw@hooks.acme.example/", 422, CodeInvalidCallbackURL, ""},
		{"unlisted host", listed, "https://hooks.other.example/", 422, CodeCallbackURLForbidden, "not in the tenant's webhook_hosts"},
		{"unlisted address", listed, "http://[::1]/", 422, CodeCallbackURLForbidden, "webhook_hosts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.h.post(t, acmeKey, body(tc.cb))
			if r.status != tc.status {
				t.Fatalf("status %d %s, want %d", r.status, r.body, tc.status)
			}
			e := r.errBody(t)
			if e.Code != tc.code || !strings.Contains(e.Message, tc.reason) {
				t.Fatalf("%s %q, want %s containing %q", e.Code, e.Message, tc.code, tc.reason)
			}
			if keys := tc.h.dataKeys(t); len(keys) != 0 {
				t.Fatalf("refused request wrote to Redis: %v", keys)
			}
		})
	}
	// The refused host is named, clipped: the URL may hold 2 KB of it.
	long := "https://" + strings.Repeat("a.", 900) + "example/"
	if r := listed.post(t, acmeKey, body(long)); r.status != http.StatusUnprocessableEntity {
		t.Errorf("long unlisted host: %d %s, want 422", r.status, r.body)
	} else if e := r.errBody(t); e.Code != CodeCallbackURLForbidden || !strings.Contains(e.Message, "webhook_hosts") || len(e.Message) > 250 {
		t.Errorf("long unlisted host: %s, %d bytes %.100q…; want %s, clipped", e.Code, len(e.Message), e.Message, CodeCallbackURLForbidden)
	}
	for _, ok := range []struct {
		h  *harness
		cb string
	}{
		{closed, "https://hooks.acme.example/sms"},
		{closed, "https://8.8.8.8/sms"},
		{open, "http://127.0.0.1:8081/webhook"},
		{open, "http://localhost:8081/webhook"},
		{listed, "https://a.b.acme.example/sms"},
		{listed, "http://127.0.0.1:8081/webhook"},
	} {
		if r := ok.h.post(t, acmeKey, body(ok.cb)); r.status != http.StatusAccepted {
			t.Errorf("callback_url %s: %d %s, want 202", ok.cb, r.status, r.body)
		}
	}
	// Another tenant is not bound by acme's allowlist.
	if r := listed.post(t, betaKey, body("https://hooks.other.example/")); r.status != http.StatusAccepted {
		t.Errorf("beta: %d %s, want 202", r.status, r.body)
	}
}
