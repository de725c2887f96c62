package loadgen

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestTrackerMatchesDeduplicatesAndHandlesEarlyWebhooks(t *testing.T) {
	tr := newTracker(time.Now())
	a, b := uuid.New(), uuid.New()
	tr.accepted(a, []uint64{13800000000, 13800000001}, 1000)

	// A webhook for a recipient of a: matched, latency 500 ns.
	if dup := tr.statusEvent("ev-1", a.String(), "13800000000", "delivered", 1500); dup {
		t.Fatal("first delivery reported as duplicate")
	}
	// The same event again: a duplicate, nothing else changes.
	if dup := tr.statusEvent("ev-1", a.String(), "13800000000", "delivered", 1600); !dup {
		t.Fatal("second delivery of ev-1 not reported as duplicate")
	}
	// A webhook that arrives before its 202 was processed (request b)
	// waits, then matches with a latency clamped at 0.
	tr.statusEvent("ev-2", b.String(), "13800000005", "failed", 1700)
	if got := tr.outstanding(); got != 1 {
		t.Fatalf("outstanding %d, want 1 (a's second recipient)", got)
	}
	tr.accepted(b, []uint64{13800000005}, 1800)
	// A webhook for nobody of this run, and one with a bad request id.
	tr.statusEvent("ev-3", uuid.NewString(), "13800000009", "delivered", 1900)
	tr.statusEvent("ev-4", "not-a-uuid", "13800000009", "delivered", 1900)

	tot := tr.totals()
	if tot.unique != 4 || tot.duplicates != 1 || tot.matched != 2 || tot.badIDs != 1 || tot.unmatched != 1 || tot.outstanding != 1 {
		t.Errorf("totals %+v", tot)
	}
	if tot.statuses["delivered"] != 3 || tot.statuses["failed"] != 1 {
		t.Errorf("statuses %v", tot.statuses)
	}
	if tot.e2e.Count() != 2 || tot.e2e.Max() != 500 || tot.e2e.Min() != 0 {
		t.Errorf("accept→webhook: n=%d min=%v max=%v", tot.e2e.Count(), tot.e2e.Min(), tot.e2e.Max())
	}
}
