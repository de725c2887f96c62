package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// A receiver answering 500 three times then 200 gets the event exactly
// four times, always the same bytes with the same id, correctly signed;
// the event is then acked.
func TestRetryUntilDelivered(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, func(n int) int {
		if n <= 3 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	_, evs := f.seedStatus("acme", rc.srv.URL+"/hook?k=1", 1, 1, delivrd)
	cfg := f.fastConfig(tenants(""))
	r := start(t, cfg)
	testenv.WaitFor(t, waitLong, "event acked", func() bool { return f.acked(evs[0]) })
	r.stop(t) // nothing may be sent after the ack

	reqs := rc.requests()
	if len(reqs) != 4 || rc.answered.Load() != 1 {
		t.Fatalf("receiver got %d requests (%d answered 2xx), want 4 (1)", len(reqs), rc.answered.Load())
	}
	for i, q := range reqs {
		if !bytes.Equal(q.body, reqs[0].body) {
			t.Errorf("attempt %d body differs:\n%s\n%s", i+1, q.body, reqs[0].body)
		}
		if err := Verify(testSecret, q.header.Get(SignatureHeader), q.body, time.Now(), time.Minute); err != nil {
			t.Errorf("attempt %d: signature: %v", i+1, err)
		}
		if got := q.header.Get(EventIDHeader); got != evs[0] {
			t.Errorf("attempt %d: %s = %q, want %q", i+1, EventIDHeader, got, evs[0])
		}
		if got := q.header.Get(EventTypeHeader); got != TypeStatus {
			t.Errorf("attempt %d: %s = %q", i+1, EventTypeHeader, got)
		}
		if got := q.header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type %q", got)
		}
		if got := q.header.Get("User-Agent"); got != "smsbridge/test" {
			t.Errorf("User-Agent %q", got)
		}
	}
	// Retries are spaced by the growing back-off (equal jitter: at least
	// half of 20, 40, 80 ms).
	for i, min := range []time.Duration{10, 20, 40} {
		if gap := reqs[i+1].at.Sub(reqs[i].at); gap < min*time.Millisecond {
			t.Errorf("gap before attempt %d: %v < %v", i+2, gap, min*time.Millisecond)
		}
	}
	var env Envelope
	if err := json.Unmarshal(reqs[0].body, &env); err != nil || env.ID != evs[0] || env.Type != TypeStatus {
		t.Fatalf("body envelope %+v, %v", env, err)
	}
	m := cfg.Metrics
	if got := counterValue(t, m.Webhooks.WithLabelValues(TypeStatus, "retry")); got != 3 {
		t.Errorf("retry metric %v, want 3", got)
	}
	if got := counterValue(t, m.Webhooks.WithLabelValues(TypeStatus, "delivered")); got != 1 {
		t.Errorf("delivered metric %v, want 1", got)
	}
	if got := histogramCount(t, m.WebhookDuration); got != 4 {
		t.Errorf("duration histogram count %d, want 4 POSTs", got)
	}
}

// An event that keeps failing is dead-lettered once RetryFor has passed,
// with its last error; a replay then delivers the same bytes.
func TestDeadLetterAfterRetryForThenReplay(t *testing.T) {
	f := newFixture(t, store.Options{})
	var healthy atomicBool
	rc := newReceiver(t, func(int) int {
		if healthy.get() {
			return http.StatusNoContent
		}
		return http.StatusBadGateway
	})
	eid := f.seedMO("1069001", "hello", "")
	cfg := f.fastConfig(tenants(rc.srv.URL))
	cfg.InitialBackoff, cfg.MaxBackoff, cfg.RetryFor = 50*time.Millisecond, 100*time.Millisecond, 300*time.Millisecond
	r := start(t, cfg)
	testenv.WaitFor(t, waitLong, "event dead-lettered", func() bool { return !f.event(eid).DeadAt.IsZero() })

	ev := f.event(eid)
	if !strings.HasPrefix(ev.LastError, "HTTP 502") {
		t.Errorf("last error %q, want HTTP 502…", ev.LastError)
	}
	if age := ev.DeadAt.Sub(ev.CreatedAt); age < cfg.RetryFor {
		t.Errorf("dead after %v, before RetryFor %v", age, cfg.RetryFor)
	}
	dead, err := f.st.ListDead(f.ctx, testChannel, 0, 10)
	if err != nil || len(dead) != 1 || dead[0].ID != eid {
		t.Fatalf("ListDead = %v, %v", dead, err)
	}
	tries := rc.count()
	if tries < 3 {
		t.Errorf("only %d attempts in %v", tries, cfg.RetryFor)
	}
	if got := outcomes(t, cfg, TypeMO, "dead"); got != 1 {
		t.Errorf("dead metric %v", got)
	}

	healthy.set(true)
	if err := r.d.Replay(f.ctx, testChannel, eid); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	testenv.WaitFor(t, waitLong, "replayed event acked", func() bool { return f.acked(eid) })
	reqs := rc.requests()
	if len(reqs) != tries+1 {
		t.Fatalf("%d requests after replay, want %d", len(reqs), tries+1)
	}
	if !bytes.Equal(reqs[0].body, reqs[len(reqs)-1].body) {
		t.Errorf("replay sent other bytes:\n%s\n%s", reqs[0].body, reqs[len(reqs)-1].body)
	}
	if dead, _ := f.st.ListDead(f.ctx, testChannel, 0, 10); len(dead) != 0 {
		t.Errorf("still dead after replay: %v", dead)
	}
}

// 410 Gone dead-letters at once.
func TestGoneDeadLettersAtOnce(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, func(int) int { return http.StatusGone })
	eid := f.seedMO("1069001", "hi", rc.srv.URL)
	r := start(t, f.fastConfig(tenants("")))
	testenv.WaitFor(t, waitLong, "dead", func() bool { return !f.event(eid).DeadAt.IsZero() })
	r.stop(t)
	if n := rc.count(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	if ev := f.event(eid); !strings.HasPrefix(ev.LastError, "HTTP 410") {
		t.Fatalf("last error %q", ev.LastError)
	}
}

// Concurrent POSTs to one host never exceed PerHostConcurrency, and the
// limit is used fully.
func TestPerHostConcurrency(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil).blocking()
	const n, limit = 30, 3
	ids := make([]string, n)
	for i := range ids {
		ids[i] = f.seedMO("1069001", "m", rc.srv.URL)
	}
	cfg := f.fastConfig(tenants(""))
	cfg.PerHostConcurrency = limit
	start(t, cfg)
	testenv.WaitFor(t, waitLong, "limit reached", func() bool { return rc.inflight.Load() == limit })
	rc.unblock()
	testenv.WaitFor(t, waitLong, "all answered", func() bool { return rc.answered.Load() == n })
	// Acks are batched after the answers, so wait for them too.
	testenv.WaitFor(t, waitLong, "all acked", func() bool {
		for _, id := range ids {
			if !f.acked(id) {
				return false
			}
		}
		return outcomes(t, cfg, TypeMO, "delivered") == n
	})
	if m := rc.maxInflight.Load(); m != limit {
		t.Fatalf("max concurrent requests %d, want %d", m, limit)
	}
}

// A host that does not answer does not hold up another host.
func TestSlowHostDoesNotBlockFastHost(t *testing.T) {
	f := newFixture(t, store.Options{})
	slow := newReceiver(t, nil).blocking()
	fast := newReceiver(t, nil)
	const n = 20
	var slowIDs []string
	for i := range 2 * n {
		if i%2 == 0 {
			slowIDs = append(slowIDs, f.seedMO("1069001", "s", slow.srv.URL))
		} else {
			f.seedMO("1069001", "f", fast.srv.URL)
		}
	}
	cfg := f.fastConfig(tenants(""))
	cfg.PerHostConcurrency = 2
	start(t, cfg)
	testenv.WaitFor(t, waitLong, "fast host served", func() bool { return fast.answered.Load() == n })
	if got := slow.answered.Load(); got != 0 {
		t.Fatalf("slow host answered %d while blocked", got)
	}
	slow.unblock()
	testenv.WaitFor(t, waitLong, "slow host served", func() bool { return slow.answered.Load() == n })
	for _, id := range slowIDs {
		testenv.WaitFor(t, waitLong, "slow event acked", func() bool { return f.acked(id) })
	}
}

// An event with no callback URL (none on the event, none for the tenant)
// is acked without a POST.
func TestNoCallbackAcked(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	eid := f.seedMO("1069001", "nobody listens", "")
	cfg := f.fastConfig(tenants(""))
	r := start(t, cfg)
	testenv.WaitFor(t, waitLong, "acked", func() bool { return f.acked(eid) })
	r.stop(t)
	if rc.count() != 0 {
		t.Fatal("a POST was made")
	}
	if got := outcomes(t, cfg, TypeMO, "no_callback"); got != 1 {
		t.Fatalf("no_callback metric %v", got)
	}
}

// Events of an unknown tenant are dead-lettered (the secret is unknown),
// not retried.
func TestUnknownTenantDeadLettered(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	_, evs := f.seedStatus("ghost", rc.srv.URL, 1, 1, delivrd)
	start(t, f.fastConfig(tenants("")))
	testenv.WaitFor(t, waitLong, "dead", func() bool { return !f.event(evs[0]).DeadAt.IsZero() })
	if ev := f.event(evs[0]); !strings.Contains(ev.LastError, `unknown tenant "ghost"`) || rc.count() != 0 {
		t.Fatalf("last error %q, %d POSTs", ev.LastError, rc.count())
	}
}

// Stopping waits for a POST in flight (within StopGrace) and acks it.
func TestGracefulStopWaitsForInFlight(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil).blocking()
	eid := f.seedMO("1069001", "m", rc.srv.URL)
	r := start(t, f.fastConfig(tenants("")))
	testenv.WaitFor(t, waitLong, "POST in flight", func() bool { return rc.inflight.Load() == 1 })
	r.cancel()
	select {
	case <-r.done:
		t.Fatal("Run returned while a POST was in flight")
	default:
	}
	rc.unblock()
	r.stop(t)
	if !f.acked(eid) {
		t.Fatal("event in flight at stop not acked")
	}
}

// After StopGrace the POST is aborted and its event given back, ready for
// the next process (not dead, not acked).
func TestStopAbortsAfterGrace(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil).blocking()
	eid := f.seedMO("1069001", "m", rc.srv.URL)
	cfg := f.fastConfig(tenants(""))
	cfg.StopGrace = 50 * time.Millisecond
	r := start(t, cfg)
	testenv.WaitFor(t, waitLong, "POST in flight", func() bool { return rc.inflight.Load() == 1 })
	r.stop(t)
	ev := f.event(eid)
	if !ev.DeadAt.IsZero() || ev.NextAttempt.IsZero() || ev.NextAttempt.After(time.Now()) {
		t.Fatalf("event after abort: dead %v, next %v", ev.DeadAt, ev.NextAttempt)
	}
	if got := outcomes(t, cfg, TypeMO, "retry"); got != 0 {
		t.Fatalf("an aborted POST counted as a failed attempt")
	}
	// Another dispatcher takes it over at once.
	rc.unblock()
	start(t, f.fastConfig(tenants("")))
	testenv.WaitFor(t, waitLong, "acked by the next dispatcher", func() bool { return f.acked(eid) })
}

// The dispatcher does not recover expired leases: the maintainer
// (internal/maintain) does, once per process. An event whose lease expired
// stays leased while the dispatcher runs and delivers other events.
func TestDoesNotRecoverLeases(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	lost := f.seedMO("1069001", "lost", rc.srv.URL)
	dying := store.New(f.env.Client, store.Options{Prefix: f.env.Prefix, EventLeaseTTL: time.Millisecond})
	if evs, err := dying.LeaseEvents(f.ctx, testChannel, 10); err != nil || len(evs) != 1 {
		t.Fatalf("lease by the dying process: %v %v", evs, err)
	}
	leaseKey := f.st.Keys().EventLease(testChannel)
	testenv.WaitFor(t, waitLong, "lease expired", func() bool {
		dl, err := f.env.Client.ZScore(f.ctx, leaseKey, lost).Result()
		return err == nil && int64(dl) < time.Now().UnixMilli()
	})
	start(t, f.fastConfig(tenants("")))
	other := f.seedMO("1069001", "other", rc.srv.URL)
	testenv.WaitFor(t, waitLong, "the other event delivered", func() bool { return f.acked(other) })
	if _, err := f.env.Client.ZScore(f.ctx, leaseKey, lost).Result(); err != nil || f.acked(lost) || rc.count() != 1 {
		t.Fatalf("the expired lease was recovered by the dispatcher (zscore err %v, %d POSTs)", err, rc.count())
	}
}

// A lease loop waiting for its next poll starts at once on an EventsReady
// signal of its channel in the Wake hub.
func TestIdleWaitWakesOnEventsReady(t *testing.T) {
	f := newFixture(t, store.Options{})
	cfg := f.fastConfig(tenants(""))
	d := New(cfg)
	done := make(chan bool, 1)
	go func() { done <- d.idleWait(f.ctx, testChannel, time.Hour) }()
	cfg.Wake.EventsReady(testChannel)
	select {
	case ok := <-done:
		if !ok {
			t.Fatal("idleWait reported the end of its context")
		}
	case <-time.After(waitLong):
		t.Fatal("idleWait did not wake on EventsReady")
	}
}

// Run may be called once.
func TestRunTwice(t *testing.T) {
	f := newFixture(t, store.Options{})
	d := New(f.fastConfig(tenants("")))
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	if err := d.Run(ctx); err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if err := d.Run(ctx); err == nil {
		t.Fatal("second Run accepted")
	}
}
