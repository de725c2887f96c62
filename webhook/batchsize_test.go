package webhook

import (
	"testing"

	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// The lease size follows SetBatchSize: with the default (32) a tenant
// batching up to 100 gets POSTs of at most 32 events; raised to 100 (a
// tenant's webhook_batch_max changed at runtime), 100 ready events go in
// one POST.
func TestSetBatchSizeBoundsBatches(t *testing.T) {
	for _, c := range []struct {
		set, wantMax int
	}{{0, DefaultBatchSize}, {100, 100}} {
		f := newFixture(t, store.Options{})
		rc := newReceiver(t, nil)
		_, evs := f.seedStatus("acme", rc.srv.URL, 100, 1, delivrd)
		cfg := f.fastConfig(batchTenants("", 100))
		d := New(cfg)
		d.SetBatchSize(c.set)
		if d.BatchSize() != c.wantMax {
			t.Errorf("SetBatchSize(%d): BatchSize %d, want %d", c.set, d.BatchSize(), c.wantMax)
		}
		r := startDispatcher(t, d)
		testenv.WaitFor(t, waitLong, "every event acked", func() bool { return f.acked(evs[len(evs)-1]) && f.acked(evs[0]) })
		r.stop(t)
		largest, total := 0, 0
		for _, q := range rc.requests() {
			n := len(batchElements(t, q, testSecret))
			largest, total = max(largest, n), total+n
		}
		if largest != c.wantMax || total != 100 {
			t.Errorf("SetBatchSize(%d): largest POST %d events (want %d), %d in all (want 100)", c.set, largest, c.wantMax, total)
		}
	}
}
