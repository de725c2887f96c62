package webhook

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// assertBudgetReturned fails when the stopped dispatcher still holds
// leasing tokens (events it leased and never settled).
func assertBudgetReturned(t *testing.T, d *Dispatcher) {
	t.Helper()
	if n := len(d.budget); n != 0 {
		t.Errorf("%d leasing tokens still taken after stop", n)
	}
}

// assertNoOutcome fails when any of names was counted for typ.
func assertNoOutcome(t *testing.T, cfg Config, typ string, names ...string) {
	t.Helper()
	for _, o := range names {
		if got := outcomes(t, cfg, typ, o); got != 0 {
			t.Errorf("outcome %q counted %v times", o, got)
		}
	}
}

// A batch whose host is saturated is deferred whole, without a POST:
// with one POST in flight and two waiting (PerHostConcurrency 1), the
// fourth batch of 2 puts both its events back for later, each counted as
// "deferred"; they are delivered once the host is free.
func TestBatchDeferredWhenHostSaturated(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil).blocking()
	_, eids := f.seedStatus("acme", rc.srv.URL, 8, 1, delivrd)
	cfg := f.fastConfig(batchTenants("", 2))
	cfg.PerHostConcurrency = 1
	// Deferred for at least 1 s: their state can be read before they
	// come back.
	cfg.InitialBackoff, cfg.MaxBackoff = 2*time.Second, 2*time.Second
	var logs logCapture
	cfg.Logger = logs.logger()
	r := start(t, cfg)
	deferred := cfg.Metrics.Webhooks.WithLabelValues(TypeStatus, outcomeDeferred)
	testenv.WaitFor(t, waitLong, "a batch deferred while the host is saturated", func() bool {
		return counterValue(t, deferred) == 2 && rc.inflight.Load() == 1
	})
	var put []string // events deferred
	for _, eid := range eids {
		ev := f.event(eid)
		if strings.HasPrefix(ev.LastError, "deferred: host ") {
			put = append(put, eid)
			if !ev.NextAttempt.After(time.Now()) || !ev.DeadAt.IsZero() {
				t.Errorf("deferred event %s: next %v, dead %v", eid, ev.NextAttempt, ev.DeadAt)
			}
		}
	}
	if len(put) != 2 {
		t.Fatalf("%d events deferred in the store, want the 2 of one batch", len(put))
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d POSTs while the host is saturated, want the one in flight", len(reqs))
	}
	for _, el := range batchElements(t, reqs[0], testSecret) {
		if id := envelope(t, el).ID; slices.Contains(put, id) {
			t.Errorf("deferred event %s was POSTed", id)
		}
	}
	if lines := logs.batchLines(t, "host saturated: batch deferred"); len(lines) != 1 || lines[0].Events != 2 {
		t.Errorf("batch deferral lines %v, want one of 2 events", lines)
	}
	rc.unblock()
	waitOutcomes(t, cfg, TypeStatus, outcomeDelivered, 8)
	r.stop(t)
	for _, eid := range eids {
		if !f.acked(eid) {
			t.Errorf("event %s not acked", eid)
		}
	}
	if got := counterValue(t, deferred); got != 2 {
		t.Errorf("deferred counted %v times, want 2 (once per event of the batch)", got)
	}
	assertNoOutcome(t, cfg, TypeStatus, outcomeRetry, outcomeDead)
	assertBudgetReturned(t, r.d)
}

// A batch POST aborted at shutdown (after StopGrace) gives every event of
// the batch back, due now and not counted as an attempt; the next
// dispatcher delivers them at once.
func TestBatchAbortedAtShutdownGivesBackAll(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil).blocking()
	_, eids := f.seedStatus("acme", rc.srv.URL, 3, 1, delivrd)
	cfg := f.fastConfig(batchTenants("", 10))
	cfg.StopGrace = 50 * time.Millisecond
	var logs logCapture
	cfg.Logger = logs.logger()
	r := start(t, cfg)
	testenv.WaitFor(t, waitLong, "batch POST in flight", func() bool { return rc.inflight.Load() == 1 })
	r.stop(t)
	if n := rc.count(); n != 1 || len(batchElements(t, rc.requests()[0], testSecret)) != 3 {
		t.Fatalf("%d POSTs, want 1 batch of 3", n)
	}
	for _, eid := range eids {
		ev := f.event(eid)
		if !ev.DeadAt.IsZero() || ev.NextAttempt.IsZero() || ev.NextAttempt.After(time.Now()) ||
			ev.LastError != "POST aborted by shutdown" {
			t.Errorf("event %s after the abort: dead %v, next %v, last error %q", eid, ev.DeadAt, ev.NextAttempt, ev.LastError)
		}
	}
	if lines := logs.batchLines(t, "webhook batch POST aborted by shutdown: events given back"); len(lines) != 1 || lines[0].Events != 3 {
		t.Errorf("abort lines %v, want one batch of 3", lines)
	}
	assertNoOutcome(t, cfg, TypeStatus, outcomeRetry, outcomeDead, outcomeDelivered)
	assertBudgetReturned(t, r.d)

	rc.unblock()
	next := f.fastConfig(batchTenants("", 10))
	start(t, next)
	testenv.WaitFor(t, waitLong, "acked by the next dispatcher", func() bool {
		for _, eid := range eids {
			if !f.acked(eid) {
				return false
			}
		}
		return true
	})
}

// A batch whose lease cannot hold a whole POST (Timeout longer than the
// event lease) is given back whole, unsent and due now, every time it is
// leased; nothing counts as an attempt.
func TestBatchLeaseTooShortGivesBackAll(t *testing.T) {
	f := newFixture(t, store.Options{EventLeaseTTL: time.Second})
	rc := newReceiver(t, nil)
	_, eids := f.seedStatus("acme", rc.srv.URL, 3, 1, delivrd)
	cfg := f.fastConfig(batchTenants("", 10))
	cfg.Timeout = 2 * time.Second
	var logs logCapture
	cfg.Logger = logs.logger()
	r := start(t, cfg)
	const why = "lease too short for a POST"
	testenv.WaitFor(t, waitLong, "every event given back", func() bool {
		for _, eid := range eids {
			if f.event(eid).LastError != why {
				return false
			}
		}
		return true
	})
	r.stop(t)
	if n := rc.count(); n != 0 {
		t.Fatalf("%d POSTs with a lease too short for one", n)
	}
	for _, eid := range eids {
		// A lease taken as the dispatcher stops may be given back
		// before its worker slot, for that reason instead.
		ev := f.event(eid)
		if !ev.DeadAt.IsZero() || ev.NextAttempt.After(time.Now()) ||
			(ev.LastError != why && ev.LastError != "dispatcher stopped before the POST") {
			t.Errorf("event %s: dead %v, next %v, last error %q", eid, ev.DeadAt, ev.NextAttempt, ev.LastError)
		}
	}
	lines := logs.batchLines(t, "webhook batch given back")
	if len(lines) == 0 || lines[0].Events != 3 {
		t.Errorf("give-back lines %v, want the batch of 3 first", lines)
	}
	assertNoOutcome(t, cfg, TypeStatus, outcomeRetry, outcomeDead, outcomeDelivered, outcomeDeferred)
	assertBudgetReturned(t, r.d)
}
