package webhook

import (
	"testing"

	"github.com/smsbridge/smsbridge/store"
)

// The default client keeps connections alive: many one-event POSTs to one
// receiver open at most PerHostConcurrency connections (responses are
// read to the end and closed, so each connection goes back to the pool;
// the transport never dials one more than the POSTs in flight need).
func TestConnectionsReused(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	const n, limit = 200, 4
	f.seedStatus("acme", rc.srv.URL, n, 1, delivrd)
	cfg := f.fastConfig(tenants(""))
	cfg.PerHostConcurrency = limit
	start(t, cfg)
	waitOutcomes(t, cfg, TypeStatus, outcomeDelivered, n)
	if got := rc.count(); got != n {
		t.Fatalf("%d POSTs, want %d (one per event)", got, n)
	}
	if c := rc.conns.Load(); c < 1 || c > limit {
		t.Fatalf("%d connections for %d POSTs, want 1..%d (PerHostConcurrency)", c, n, limit)
	}
}
