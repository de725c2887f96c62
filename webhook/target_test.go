package webhook

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// A callback URL naming a loopback address is dead-lettered at once with
// the reason, without a POST, when private networks are not allowed.
func TestLoopbackCallbackDeadLetteredWithoutPOST(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	eid := f.seedMO("1069001", "hi", rc.srv.URL+"/hook")
	cfg := f.fastConfig(tenants(""))
	cfg.AllowPrivateNetworks = false
	start(t, cfg)
	waitOutcomes(t, cfg, TypeMO, outcomeDead, 1)
	ev := f.event(eid)
	if ev.DeadAt.IsZero() || ev.LastError != "callback address forbidden: 127.0.0.1 is loopback" {
		t.Errorf("dead at %v, last error %q", ev.DeadAt, ev.LastError)
	}
	if n := rc.count(); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
}

// A name that resolves to loopback passes the URL check but is refused at
// connect time (the dialer's check of the resolved address): the event is
// dead-lettered at once with the reason and nothing reaches the receiver.
// With private networks allowed, the same name and resolver deliver (so
// the refusal is the check's, not a resolver failure).
func TestNameResolvingToLoopbackRefusedAtConnect(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	dns := newDNSStub(t, netip.MustParseAddr("127.0.0.1"))
	u, _ := url.Parse(rc.srv.URL)
	cb := "http://rebind.test:" + u.Port() + "/hook"
	eid := f.seedMO("1069001", "hi", cb)

	var logs logCapture
	cfg := f.fastConfig(tenants(""))
	cfg.AllowPrivateNetworks = false
	cfg.HTTPClient = newHTTPClient(4, false, dns.resolver())
	cfg.Logger = logs.logger()
	r := start(t, cfg)
	waitOutcomes(t, cfg, TypeMO, outcomeDead, 1)
	r.stop(t)
	ev := f.event(eid)
	if ev.DeadAt.IsZero() || ev.LastError != "callback address forbidden: 127.0.0.1 is loopback" {
		t.Errorf("dead at %v, last error %q", ev.DeadAt, ev.LastError)
	}
	if n := rc.count(); n != 0 {
		t.Errorf("the loopback receiver got %d requests through a name", n)
	}
	if dns.queries.Load() == 0 {
		t.Error("the stub resolver was never asked: the name was not resolved through it")
	}
	if got := outcomes(t, cfg, TypeMO, outcomeRetry); got != 0 {
		t.Errorf("%v retries, want none (dead-lettered at once)", got)
	}
	if l := logs.find(t, zerolog.WarnLevel, eid, "webhook event dead-lettered"); len(l) != 1 || !strings.Contains(l[0].Err, "127.0.0.1 is loopback") {
		t.Errorf("dead-letter log lines %+v", l)
	}

	// The operator allows private networks and replays: delivered.
	cfg2 := f.fastConfig(tenants(""))
	cfg2.HTTPClient = newHTTPClient(4, true, dns.resolver())
	r2 := start(t, cfg2)
	if err := r2.d.Replay(f.ctx, testChannel, eid); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	testenv.WaitFor(t, waitLong, "replayed event acked", func() bool { return f.acked(eid) })
	if n := rc.count(); n != 1 {
		t.Errorf("%d requests after the replay, want 1", n)
	}
}

// A tenant's webhook_hosts allowlist applies at delivery too: an event
// whose URL names another host is dead-lettered without a POST.
func TestTenantHostAllowlistAtDelivery(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	eid := f.seedMO("1069001", "hi", rc.srv.URL+"/hook")
	a := acme("")
	a.WebhookHosts = []string{"hooks.example.com"}
	cfg := f.fastConfig(tenantsOf(a))
	start(t, cfg)
	waitOutcomes(t, cfg, TypeMO, outcomeDead, 1)
	if ev := f.event(eid); ev.LastError != "callback address forbidden: 127.0.0.1 is not in the tenant's webhook_hosts" {
		t.Errorf("last error %q", ev.LastError)
	}
	if n := rc.count(); n != 0 {
		t.Errorf("the receiver got %d requests", n)
	}
}

// A receiver's response body is never stored in the event's last error
// nor logged above debug; the status code is.
func TestResponseBodyNeitherStoredNorLoggedAboveDebug(t *testing.T) {
	const secret = "sk_live_INTERNAL_TOKEN_42"
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"error":"db down","token":%q}`, secret)
	}))
	t.Cleanup(srv.Close)
	f := newFixture(t, store.Options{})
	eid := f.seedMO("1069001", "hi", srv.URL)
	var logs logCapture
	cfg := f.fastConfig(tenants(""))
	cfg.RetryFor = 300 * time.Millisecond
	cfg.Logger = logs.logger().Level(zerolog.DebugLevel)
	r := start(t, cfg)
	waitOutcomes(t, cfg, TypeMO, outcomeDead, 1)
	r.stop(t)

	ev := f.event(eid)
	if ev.LastError != "HTTP 500" {
		t.Errorf("last error %q, want exactly HTTP 500", ev.LastError)
	}
	dead, err := f.st.ListDead(f.ctx, testChannel, 0, 10)
	if err != nil || len(dead) != 1 || strings.Contains(fmt.Sprintf("%+v", dead[0]), secret) {
		t.Errorf("dead letters %+v, %v: want one without the body", dead, err)
	}
	if posts.Load() < 2 {
		t.Errorf("%d POSTs, want retries before the dead letter", posts.Load())
	}
	logs.onlyAtDebug(t, secret)
}

// The default client ignores proxies from the environment (a proxy would
// connect past the address check) and follows no redirect.
func TestDefaultHTTPClientHasNoProxy(t *testing.T) {
	for _, allow := range []bool{false, true} {
		c := DefaultHTTPClient(8, allow)
		tr, ok := c.Transport.(*http.Transport)
		if !ok || tr.Proxy != nil || c.CheckRedirect == nil {
			t.Errorf("allowPrivate=%v: transport %T, proxy set %v, redirects checked %v", allow, c.Transport, ok && tr.Proxy != nil, c.CheckRedirect != nil)
		}
	}
}

// The default client without allowPrivate refuses a loopback address at
// connect time even when asked directly (no URL check before it).
func TestDefaultHTTPClientRefusesLoopbackDial(t *testing.T) {
	rc := newReceiver(t, nil)
	_, err := DefaultHTTPClient(2, false).Post(rc.srv.URL, "application/json", strings.NewReader("{}"))
	if err == nil || !strings.Contains(err.Error(), "callback address forbidden: 127.0.0.1 is loopback") {
		t.Fatalf("POST to a loopback receiver: %v", err)
	}
	if n := rc.count(); n != 0 {
		t.Fatalf("the receiver got %d requests", n)
	}
}
