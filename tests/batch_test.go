package tests

import (
	"sort"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// A tenant with webhook_batch_max gets every recipient's sms.status, and
// its sms.mo, in JSON arrays (each POST validated against the spec's
// sms.batch webhook and its signature verified by the receiver); a batch
// answered 500 is retried until every event of it is accepted, once.
func TestBatchedWebhooksEndToEnd(t *testing.T) {
	env := testenv.Redis(t)
	sim := newSim(t, 0, nil)
	rcv := newReceiver(t)
	rcv.failFirst = 1 // every event's first POST is answered 500
	c := api{t: t, base: startGateway(t, gwConfig{
		RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), Callback: rcv.URL(), WebhookBatchMax: 8,
	})}
	to := numbers(5000, 30)
	acc := c.send(to, "batched webhooks")
	c.waitStatus(acc.ID, 15*time.Second, "delivered")
	testenv.WaitFor(t, 15*time.Second, "30 sms.status webhooks", func() bool { return len(rcv.statusFor(acc.ID)) == 30 })

	if err := sim.InjectMO(t.Context(), ismgsim.MO{SPID: spID, From: "13800138000", To: srcID + "5", Text: "批量"}); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 10*time.Second, "sms.mo webhook", func() bool { return len(rcv.moEvents()) == 1 })
	if mo := rcv.moEvents()[0].Data; mo.Ext != "5" || mo.Content != "批量" || mo.Tenant != "acme" {
		t.Errorf("sms.mo data %+v", mo)
	}

	var got []string
	for _, ev := range rcv.statusFor(acc.ID) {
		if ev.Data.Status != "delivered" || len(ev.Data.Segments) != 1 || ev.Data.Segments[0].Stat != "DELIVRD" {
			t.Errorf("event %s: %+v", ev.ID, ev.Data)
		}
		got = append(got, ev.Data.To)
	}
	sort.Strings(got)
	if len(got) != len(to) {
		t.Fatalf("%d recipients reported, want %d", len(got), len(to))
	}
	for i := range to {
		if got[i] != to[i] {
			t.Fatalf("recipients reported %v, want %v", got, to)
		}
	}
	rcv.mu.Lock()
	for id, n := range rcv.attempts {
		if n < 2 {
			t.Errorf("event %s accepted after %d POSTs; its first was answered 500", id, n)
		}
	}
	bad := rcv.badSigs
	rcv.mu.Unlock()
	posts, batches := rcv.postCounts()
	if bad != 0 || posts == 0 || batches != posts || posts > 31 {
		t.Fatalf("%d POSTs accepted, %d of them arrays, %d bad signatures: want every POST an array, at most one per event", posts, batches, bad)
	}
	t.Logf("31 events accepted in %d batch POSTs", posts)
}
