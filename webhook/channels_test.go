package webhook

import (
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// SetChannels starts the loops of a channel added at runtime (an event
// queued before is delivered), and stops leasing on a channel removed
// while its delivery in flight still finishes and is acked; added again,
// the channel is served again. A removed channel's delivery in flight when
// Run stops gets the stop grace like any other.
func TestSetChannelsAddsAndRemovesLoops(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil).blocking()
	cfg := f.fastConfig(tenants(rc.srv.URL))
	cfg.Channels = nil // nothing served at the start
	cfg.StopGrace = 300 * time.Millisecond
	hub := cfg.Wake
	r := start(t, cfg)

	_, first := f.seedStatus("acme", rc.srv.URL, 1, 1, delivrd)
	if err := r.d.SetChannels([]string{"nope"}); err == nil {
		t.Fatal("a channel the hub does not know was accepted")
	}
	if err := r.d.SetChannels([]string{testChannel}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, waitLong, "the event queued before the channel was added is POSTed", func() bool { return rc.count() == 1 })

	// Removed with its POST in flight: SetChannels returns once nothing
	// more is leased on the channel; the POST finishes and is acked.
	if err := r.d.SetChannels(nil); err != nil {
		t.Fatal(err)
	}
	_, second := f.seedStatus("acme", rc.srv.URL, 1, 1, delivrd)
	hub.EventsReady(testChannel)
	rc.unblock()
	testenv.WaitFor(t, waitLong, "the delivery in flight at the removal acked", func() bool { return f.acked(first[0]) })
	if q, err := f.st.QueueDepth(f.ctx, testChannel); err != nil || q.EventsReady != 1 || q.EventsLeased != 0 {
		t.Fatalf("after the removal: %+v %v, want the new event ready and none leased", q, err)
	}
	if !testenv.Signalled(hub.Events(testChannel)) {
		t.Fatal("a lease loop of the removed channel consumed its EventsReady signal")
	}
	if n := rc.count(); n != 1 {
		t.Fatalf("receiver got %d POSTs after the removal, want 1", n)
	}

	if err := r.d.SetChannels([]string{testChannel}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, waitLong, "the event queued while removed delivered once added again", func() bool { return f.acked(second[0]) })

	// Removed again with a POST held by the receiver, then Run stops: the
	// POST is aborted after StopGrace and Run returns (r.stop fails if not).
	held := newReceiver(t, nil).blocking()
	_, third := f.seedStatus("acme", held.srv.URL, 1, 1, delivrd)
	hub.EventsReady(testChannel)
	testenv.WaitFor(t, waitLong, "third POST in flight", func() bool { return held.count() == 1 })
	if err := r.d.SetChannels(nil); err != nil {
		t.Fatal(err)
	}
	r.stop(t)
	if f.acked(third[0]) {
		t.Fatal("an aborted POST's event was acked")
	}
}
