package webhook

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// Every event a batch POST dead-letters — on 410 Gone, or on a failure
// once RetryFor has passed — gets its own warn line with its id, as in
// single mode, and no line at info or above shows a phone number.
func TestBatchDeadLettersLoggedPerEvent(t *testing.T) {
	for name, tc := range map[string]struct {
		status   int
		retryFor time.Duration
	}{
		"410 Gone":         {http.StatusGone, time.Minute},
		"retry_for passed": {http.StatusInternalServerError, time.Nanosecond},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, store.Options{})
			rc := newReceiver(t, func(int) int { return tc.status })
			_, eids := f.seedStatus("acme", rc.srv.URL, 3, 1, delivrd)
			cfg := f.fastConfig(batchTenants("", 10))
			cfg.RetryFor = tc.retryFor
			var logs logCapture
			cfg.Logger = logs.logger()
			r := start(t, cfg)
			waitOutcomes(t, cfg, TypeStatus, outcomeDead, 3)
			r.stop(t)
			if n := rc.count(); n != 1 || len(batchElements(t, rc.requests()[0], testSecret)) != 3 {
				t.Fatalf("%d POSTs, want 1 batch of 3", n)
			}
			for _, eid := range eids {
				lines := logs.find(t, zerolog.WarnLevel, eid, "webhook event dead-lettered")
				if len(lines) != 1 || !strings.HasPrefix(lines[0].Err, "HTTP "+strconv.Itoa(tc.status)) {
					t.Errorf("event %s: warn lines %v, want one dead letter with its error", eid, lines)
				}
			}
			assertNoPrivateData(t, &logs, "1380013")
			assertBudgetReturned(t, r.d)
		})
	}
}

// assertNoPrivateData fails when a line logged at info or above contains
// one of the strings (phone numbers, message content).
func assertNoPrivateData(t *testing.T, logs *logCapture, private ...string) {
	t.Helper()
	for _, l := range logs.lines(t) {
		for _, p := range private {
			if l.at(zerolog.InfoLevel) && strings.Contains(l.raw, p) {
				t.Errorf("%s line shows %q: %s", l.Level, p, l.raw)
			}
		}
	}
}

// routeHook is a RegistryTenants whose RouteMO first calls hook with the
// Dest_Id. It runs on the lease loop, after an sms.mo event is leased and
// before its body is saved.
type routeHook struct {
	RegistryTenants
	hook func(dest string)
}

func (r routeHook) RouteMO(channel, dest string) (string, string, bool) {
	r.hook(dest)
	return r.RegistryTenants.RouteMO(channel, dest)
}

// When saving the body of one event of a batch fails (a real Redis error:
// its key holds a list just after the lease), that event is left out of
// the POST and counted as a failed attempt — retried later, logged at info
// with its id and the error — while the rest of the batch is POSTed.
func TestBatchSaveBodyErrorRetriesThatEvent(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	var healthy []string
	for i := range 3 {
		healthy = append(healthy, f.seedMO("1069001", "mo text "+strconv.Itoa(i), rc.srv.URL))
	}
	broken := f.seedMO("1069002", "mo text broken", rc.srv.URL)
	key := f.st.Keys().Event(testChannel, broken)
	aside := key + ":aside"
	var state atomic.Int32 // 0 intact, 1 broken, 2 repaired
	cfg := f.fastConfig(routeHook{batchTenants("", 10), func(dest string) {
		if dest != "1069002" || !state.CompareAndSwap(0, 1) {
			return
		}
		// Leased already: the event record steps aside and a list takes
		// its key (the store reads a record, or a hash of the previous
		// version: a list is neither), so SaveEventBody gets WRONGTYPE.
		if err := f.env.Client.Rename(f.ctx, key, aside).Err(); err != nil {
			t.Errorf("move the event record aside: %v", err)
		}
		if err := f.env.Client.RPush(f.ctx, key, "not an event").Err(); err != nil {
			t.Errorf("break the event key: %v", err)
		}
	}})
	cfg.Now = func() time.Time {
		// The first clock reading after the break is failed()'s, just
		// before RetryEvent: the record is back for the retry to be stored.
		if state.CompareAndSwap(1, 2) {
			if err := f.env.Client.Rename(f.ctx, aside, key).Err(); err != nil {
				t.Errorf("restore the event record: %v", err)
			}
		}
		return time.Now()
	}
	// Retries no sooner than 1 s: the state after the first POST can be
	// read before the retry.
	cfg.InitialBackoff, cfg.MaxBackoff = 2*time.Second, 2*time.Second
	var logs logCapture
	cfg.Logger = logs.logger()
	r := start(t, cfg)
	delivered := cfg.Metrics.Webhooks.WithLabelValues(TypeMO, outcomeDelivered)
	retried := cfg.Metrics.Webhooks.WithLabelValues(TypeMO, outcomeRetry)
	testenv.WaitFor(t, waitLong, "the rest delivered, the broken event retried", func() bool {
		return counterValue(t, delivered) == 3 && counterValue(t, retried) == 1
	})
	if s := state.Load(); s != 2 {
		t.Fatalf("hook state %d: the event key was not broken and restored", s)
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d POSTs before the retry, want 1", len(reqs))
	}
	var sent []string
	for _, el := range batchElements(t, reqs[0], testSecret) {
		sent = append(sent, envelope(t, el).ID)
	}
	if slices.Sort(sent); !slices.Equal(sent, slices.Sorted(slices.Values(healthy))) {
		t.Errorf("first POST holds %v, want the healthy events %v", sent, healthy)
	}
	ev := f.event(broken)
	if ev.Attempts != 1 || !strings.HasPrefix(ev.LastError, "save body: ") || !strings.Contains(ev.LastError, "WRONGTYPE") ||
		!ev.NextAttempt.After(time.Now()) || len(ev.Body) != 0 {
		t.Errorf("broken event after the batch: attempts %d, last error %q, next %v, body %q",
			ev.Attempts, ev.LastError, ev.NextAttempt, ev.Body)
	}
	lines := logs.find(t, zerolog.InfoLevel, broken, "webhook attempt failed: retry scheduled")
	if len(lines) != 1 || !strings.HasPrefix(lines[0].Err, "save body: ") {
		t.Errorf("lines at info or above for the failed save: %v", lines)
	}
	testenv.WaitFor(t, waitLong, "the broken event delivered by its retry", func() bool {
		return counterValue(t, delivered) == 4 && f.acked(broken)
	})
	r.stop(t)
	reqs = rc.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d POSTs, want the batch and the retry", len(reqs))
	}
	if els := batchElements(t, reqs[1], testSecret); len(els) != 1 || envelope(t, els[0]).ID != broken {
		t.Errorf("retry POST holds %d events, want the broken one alone", len(els))
	}
	for _, eid := range healthy {
		if !f.acked(eid) {
			t.Errorf("event %s not acked", eid)
		}
	}
	assertNoPrivateData(t, &logs, "13800138000", "mo text")
	assertBudgetReturned(t, r.d)
}
