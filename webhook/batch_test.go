package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/registry"
	"github.com/smsbridge/smsbridge/store"
)

// batchTenants is tenants(defaultURL) with acme batching up to max events
// per POST, followed by extra tenants.
func batchTenants(defaultURL string, max int, extra ...registry.Tenant) RegistryTenants {
	a := acme(defaultURL)
	a.WebhookBatchMax = max
	return tenantsOf(append([]registry.Tenant{a}, extra...)...)
}

// batchElements checks that q is a batch POST signed with secret — a JSON
// array without whitespace between its elements, X-Smsbridge-Event-Count
// giving their number, no X-Smsbridge-Event-Id, every element of the type
// in X-Smsbridge-Event-Type — and returns its elements in order.
func batchElements(t *testing.T, q received, secret string) []json.RawMessage {
	t.Helper()
	var els []json.RawMessage
	if err := json.Unmarshal(q.body, &els); err != nil || len(els) == 0 {
		t.Fatalf("batch body is not a non-empty JSON array (%v): %s", err, q.body)
	}
	parts := make([][]byte, len(els))
	for i, el := range els {
		parts[i] = el
	}
	if rebuilt := append(append([]byte{'['}, bytes.Join(parts, []byte{','})...), ']'); !bytes.Equal(rebuilt, q.body) {
		t.Errorf("batch body is not exactly [e1,e2,…]:\n%s", q.body)
	}
	if err := Verify(secret, q.header.Get(SignatureHeader), q.body, time.Now(), time.Minute); err != nil {
		t.Errorf("batch signature: %v", err)
	}
	if got := q.header.Get(EventCountHeader); got != strconv.Itoa(len(els)) {
		t.Errorf("%s = %q for %d elements", EventCountHeader, got, len(els))
	}
	if got := q.header.Get(EventIDHeader); got != "" {
		t.Errorf("batch POST has %s %q", EventIDHeader, got)
	}
	if q.header.Get("Content-Type") != "application/json" || q.header.Get("User-Agent") != "smsbridge/test" {
		t.Errorf("batch headers %v", q.header)
	}
	typ := q.header.Get(EventTypeHeader)
	for _, el := range els {
		if env := envelope(t, el); env.Type != typ {
			t.Errorf("element of type %q in a batch of %s = %q", env.Type, EventTypeHeader, typ)
		}
	}
	return els
}

// envelope decodes an event body.
func envelope(t *testing.T, body []byte) Envelope {
	t.Helper()
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil || env.ID == "" {
		t.Fatalf("event body %s: %v", body, err)
	}
	return env
}

// A batch of events whose bodies this lease renders and saves (stored
// without segment states) and of events rendered from their recorded
// states goes as one POST: an array whose elements are exactly the bodies
// each event gets in single mode, signed as a whole.
func TestBatchMixedFreshAndStoredBodies(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	_, eids := f.seedStatus("acme", rc.srv.URL, 4, 2, delivrd)
	want := map[string][]byte{}
	var old []string
	for i, eid := range eids {
		body, err := RenderStatus(f.event(eid), nil) // the single-mode body
		if err != nil {
			t.Fatal(err)
		}
		want[eid] = body
		if i%2 == 0 {
			// An event created before segment states were recorded: its
			// body is rendered from the request and saved first.
			old = append(old, eid)
		}
	}
	f.withoutSegments(old...)
	cfg := f.fastConfig(batchTenants("", 10))
	start(t, cfg)
	waitOutcomes(t, cfg, TypeStatus, outcomeDelivered, 4)
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d POSTs, want 1 batch", len(reqs))
	}
	els := batchElements(t, reqs[0], testSecret)
	if len(els) != 4 || reqs[0].header.Get(EventTypeHeader) != TypeStatus {
		t.Fatalf("batch of %d %s events, want 4 sms.status", len(els), reqs[0].header.Get(EventTypeHeader))
	}
	for _, el := range els {
		id := envelope(t, el).ID
		if !bytes.Equal(el, want[id]) {
			t.Errorf("element %s differs from its single-mode body:\n%s\n%s", id, el, want[id])
		}
		delete(want, id)
	}
	if len(want) != 0 {
		t.Errorf("events missing from the batch: %v", want)
	}
	for _, eid := range eids {
		if !f.acked(eid) {
			t.Errorf("event %s not acked", eid)
		}
	}
	if got := histogramCount(t, cfg.Metrics.WebhookDuration); got != 1 {
		t.Errorf("duration histogram count %d, want 1 (one per POST)", got)
	}
}

// A batch answered 500 is a failed attempt of each of its events (each
// rescheduled with its attempt and error recorded); retries send every
// event with the same bytes until a 2xx acks them all.
func TestBatchRetriedThenDelivered(t *testing.T) {
	f := newFixture(t, store.Options{})
	var healthy atomicBool
	rc := newReceiver(t, func(int) int {
		if healthy.get() {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	})
	var eids []string
	for i := range 3 {
		eids = append(eids, f.seedMO("1069001", "batch "+strconv.Itoa(i), ""))
	}
	cfg := f.fastConfig(batchTenants(rc.srv.URL, 10))
	// Retries no sooner than 1 s: the state after the first POST can be
	// read before the second.
	cfg.InitialBackoff, cfg.MaxBackoff = 2*time.Second, 2*time.Second
	start(t, cfg)
	retried := cfg.Metrics.Webhooks.WithLabelValues(TypeMO, outcomeRetry)
	testenv.WaitFor(t, waitLong, "first batch failed", func() bool { return counterValue(t, retried) >= 3 })
	for _, eid := range eids {
		ev := f.event(eid)
		if ev.Attempts != 1 || !strings.HasPrefix(ev.LastError, "HTTP 500") || ev.NextAttempt.IsZero() || len(ev.Body) == 0 {
			t.Errorf("event %s after the failed batch: attempts %d, last error %q, next %v, body saved %v",
				eid, ev.Attempts, ev.LastError, ev.NextAttempt, len(ev.Body) > 0)
		}
	}
	if n := rc.count(); n != 1 || len(batchElements(t, rc.requests()[0], testSecret)) != 3 {
		t.Fatalf("%d POSTs before the first retry, want 1 batch of 3", n)
	}
	healthy.set(true)
	waitOutcomes(t, cfg, TypeMO, outcomeDelivered, 3)
	sent := map[string][][]byte{} // event id → every body sent
	for _, q := range rc.requests() {
		for _, el := range batchElements(t, q, testSecret) {
			id := envelope(t, el).ID
			sent[id] = append(sent[id], el)
		}
	}
	for _, eid := range eids {
		if len(sent[eid]) < 2 {
			t.Errorf("event %s sent %d times, want the failed attempt and a retry", eid, len(sent[eid]))
		}
		for _, b := range sent[eid] {
			if !bytes.Equal(b, sent[eid][0]) {
				t.Errorf("event %s sent with other bytes:\n%s\n%s", eid, b, sent[eid][0])
			}
		}
		if !f.acked(eid) {
			t.Errorf("event %s not acked", eid)
		}
	}
}

// 410 Gone to a batch dead-letters every event of it at once.
func TestBatchGoneDeadLettersAll(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, func(int) int { return http.StatusGone })
	_, eids := f.seedStatus("acme", rc.srv.URL, 3, 1, delivrd)
	cfg := f.fastConfig(batchTenants("", 10))
	r := start(t, cfg)
	waitOutcomes(t, cfg, TypeStatus, outcomeDead, 3)
	r.stop(t)
	if n := rc.count(); n != 1 || len(batchElements(t, rc.requests()[0], testSecret)) != 3 {
		t.Fatalf("%d POSTs, want 1 batch of 3", n)
	}
	for _, eid := range eids {
		if ev := f.event(eid); ev.DeadAt.IsZero() || !strings.HasPrefix(ev.LastError, "HTTP 410") {
			t.Errorf("event %s: dead at %v, last error %q", eid, ev.DeadAt, ev.LastError)
		}
	}
	dead, err := f.st.ListDead(f.ctx, testChannel, 0, 10)
	if err != nil || len(dead) != 3 {
		t.Fatalf("ListDead: %d, %v", len(dead), err)
	}
}

// BatchMax caps the events of one POST: 10 events leased together with
// BatchMax 4 go as batches of 4, 4 and 2.
func TestBatchMaxCapsPostSize(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	_, eids := f.seedStatus("acme", rc.srv.URL, 10, 1, delivrd)
	cfg := f.fastConfig(batchTenants("", 4))
	start(t, cfg)
	waitOutcomes(t, cfg, TypeStatus, outcomeDelivered, 10)
	var sizes []int
	seen := map[string]bool{}
	for _, q := range rc.requests() {
		els := batchElements(t, q, testSecret)
		sizes = append(sizes, len(els))
		for _, el := range els {
			seen[envelope(t, el).ID] = true
		}
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{2, 4, 4}) {
		t.Errorf("batch sizes %v, want [2 4 4]", sizes)
	}
	for _, eid := range eids {
		if !seen[eid] {
			t.Errorf("event %s not sent", eid)
		}
	}
}

// A batch holds the events of one tenant, URL, secret and type only:
// events of another tenant (another secret) to the same URL, of the same
// tenant to another URL, and sms.mo events each go in their own POST.
func TestBatchesDoNotMix(t *testing.T) {
	f := newFixture(t, store.Options{})
	one, two := newReceiver(t, nil), newReceiver(t, nil)
	const betaSecret = "whsec_beta"
	beta := registry.Tenant{Name: "beta", WebhookSecret: betaSecret, WebhookBatchMax: 10}
	_, acmeOne := f.seedStatus("acme", one.srv.URL, 3, 1, delivrd)
	_, betaOne := f.seedStatus("beta", one.srv.URL, 2, 1, delivrd)
	_, acmeTwo := f.seedStatus("acme", two.srv.URL, 2, 1, delivrd)
	moOne := []string{f.seedMO("1069001", "a", one.srv.URL), f.seedMO("1069001", "b", one.srv.URL)}
	cfg := f.fastConfig(batchTenants("", 10, beta))
	start(t, cfg)
	testenv.WaitFor(t, waitLong, "every event delivered", func() bool {
		return outcomes(t, cfg, TypeStatus, outcomeDelivered) == 7 &&
			outcomes(t, cfg, TypeMO, outcomeDelivered) == 2
	})
	// The batches each receiver got, as sorted event ids, by the secret
	// that verifies them and the event type.
	batches := func(rc *receiver) map[string][]string {
		out := map[string][]string{}
		for _, q := range rc.requests() {
			secret := testSecret
			if Verify(betaSecret, q.header.Get(SignatureHeader), q.body, time.Now(), time.Minute) == nil {
				secret = betaSecret
			}
			key := secret + " " + q.header.Get(EventTypeHeader)
			if _, dup := out[key]; dup {
				t.Errorf("two POSTs for %s: the events of one lease were not grouped", key)
			}
			for _, el := range batchElements(t, q, secret) {
				out[key] = append(out[key], envelope(t, el).ID)
			}
			slices.Sort(out[key])
		}
		return out
	}
	sorted := func(ids []string) []string { return slices.Sorted(slices.Values(ids)) }
	for name, tc := range map[string]struct {
		got, want map[string][]string
	}{
		"first URL": {batches(one), map[string][]string{
			testSecret + " " + TypeStatus: sorted(acmeOne),
			betaSecret + " " + TypeStatus: sorted(betaOne),
			testSecret + " " + TypeMO:     sorted(moOne),
		}},
		"second URL": {batches(two), map[string][]string{testSecret + " " + TypeStatus: sorted(acmeTwo)}},
	} {
		if len(tc.got) != len(tc.want) {
			t.Errorf("%s: batches %v, want %v", name, tc.got, tc.want)
		}
		for k, ids := range tc.want {
			if !slices.Equal(tc.got[k], ids) {
				t.Errorf("%s: batch %s holds %v, want %v", name, k, tc.got[k], ids)
			}
		}
	}
}

// BatchMax 1 (like 0) keeps the one-event contract: an object body per
// POST with X-Smsbridge-Event-Id and no X-Smsbridge-Event-Count.
func TestBatchMaxOneSendsObjects(t *testing.T) {
	f := newFixture(t, store.Options{})
	rc := newReceiver(t, nil)
	_, eids := f.seedStatus("acme", rc.srv.URL, 3, 1, delivrd)
	cfg := f.fastConfig(batchTenants("", 1))
	start(t, cfg)
	waitOutcomes(t, cfg, TypeStatus, outcomeDelivered, 3)
	reqs := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d POSTs, want one per event", len(reqs))
	}
	var ids []string
	for _, q := range reqs {
		env := envelope(t, q.body) // an object, not an array
		if got := q.header.Get(EventIDHeader); got != env.ID {
			t.Errorf("%s = %q, body id %q", EventIDHeader, got, env.ID)
		}
		if got := q.header.Get(EventCountHeader); got != "" {
			t.Errorf("single POST has %s %q", EventCountHeader, got)
		}
		if err := Verify(testSecret, q.header.Get(SignatureHeader), q.body, time.Now(), time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		ids = append(ids, env.ID)
	}
	if !slices.Equal(slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(eids))) {
		t.Errorf("events sent %v, want %v", ids, eids)
	}
}

// saveBodies saves the body of every event this lease rendered (more of
// them than bodySaveConcurrency), leaves events rendered from their
// stored state alone, drops the events gone from the store (acked by
// another process) and keeps the order of the rest.
func TestSaveBodiesDropsGoneEvents(t *testing.T) {
	f := newFixture(t, store.Options{})
	const fresh = 2*bodySaveConcurrency + 3
	for i := range fresh {
		f.seedMO("1069001", "m"+strconv.Itoa(i), "http://hooks.invalid/mo")
	}
	f.seedStatus("acme", "http://hooks.invalid/status", 2, 1, delivrd) // carry their segment states
	d := New(f.fastConfig(batchTenants("", 100)))
	d.runCtx = context.Background()
	evs, err := f.st.LeaseEvents(f.ctx, testChannel, 100)
	if err != nil || len(evs) != fresh+2 {
		t.Fatalf("LeaseEvents: %d %v", len(evs), err)
	}
	var batch []*leased
	var freshIDs []string
	for i := range evs {
		e := d.prepare(testChannel, &evs[i], requestState{})
		if e.fresh != (e.ev.Type == store.EventMO) || e.batchMax != 100 {
			t.Fatalf("prepare %s: fresh %v, batch max %d", e.ev.Type, e.fresh, e.batchMax)
		}
		if e.fresh {
			freshIDs = append(freshIDs, e.ev.ID)
		}
		batch = append(batch, e)
	}
	gone := map[string]bool{freshIDs[1]: true, freshIDs[len(freshIDs)-1]: true}
	var want []string
	for _, e := range batch {
		if !gone[e.ev.ID] {
			want = append(want, e.ev.ID)
		} else if err := f.env.Client.Del(f.ctx, f.st.Keys().Event(testChannel, e.ev.ID)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	kept := d.saveBodies(batch)
	var got []string
	for _, e := range kept {
		got = append(got, e.ev.ID)
		stored := f.event(e.ev.ID).Body
		switch {
		case e.fresh && !bytes.Equal(stored, e.body):
			t.Errorf("event %s: stored body %q, sending %q", e.ev.ID, stored, e.body)
		case !e.fresh && (stored != nil || len(e.body) == 0):
			t.Errorf("event %s rendered from its state: stored body %q, sending %q", e.ev.ID, stored, e.body)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
}
