package sender

import (
	"testing"

	"github.com/smsbridge/smsbridge/store"
)

// A job recorded (e.g. a Result 8 retry) and leased again by this channel
// between the heartbeat's list and its markLost keeps its new lease: the
// heartbeat's "lost" verdict was about the earlier lease (already
// recorded). Before, the new lease was marked lost, the job dropped unsent
// and left leased until recovered (counting towards worker_lost).
func TestInHandLostVerdictAppliesToTheListedLeaseOnly(t *testing.T) {
	h := inHand{m: map[store.JobID]heldLease{}}
	j := store.MakeJobID("r", 1, 1)
	h.add(j, 1)
	listed := h.list()                                     // the heartbeat lists lease 1 ...
	h.remove(j, 1)                                         // ... the worker records its Result 8 (state scheduled) ...
	h.add(j, 2)                                            // ... the leaser leases the job again ...
	if n := h.markLost([]store.JobID{j}, listed); n != 0 { // ... Extend found lease 1 not leased
		t.Fatalf("markLost marked %d leases, want 0", n)
	}
	if !h.takeIfOwned(j) {
		t.Fatal("the job's new lease was dropped because its previous one was found lost")
	}
	if got := h.list(); got[j] != 2 {
		t.Fatalf("in hand %v, want lease 2 of %s (still heartbeated)", got, j)
	}

	// A lost verdict about the current lease still applies.
	if n := h.markLost([]store.JobID{j}, h.list()); n != 1 {
		t.Fatalf("markLost marked %d leases, want 1", n)
	}
	if h.takeIfOwned(j) {
		t.Fatal("a lease found lost is still sent")
	}
}

// Recording an earlier lease does not forget a later one: the later lease
// stays in hand, so the heartbeat keeps extending it.
func TestInHandRemoveKeepsALaterLease(t *testing.T) {
	h := inHand{m: map[store.JobID]heldLease{}}
	j := store.MakeJobID("r", 1, 1)
	h.add(j, 1)
	h.add(j, 2)    // leased again before the record of lease 1 finished
	h.remove(j, 1) // the record of lease 1
	if got := h.list(); got[j] != 2 {
		t.Fatalf("in hand %v, want lease 2 of %s", got, j)
	}
	h.remove(j, 2)
	if got := h.list(); len(got) != 0 {
		t.Fatalf("in hand %v after its record, want empty", got)
	}
}

// Settling names one lease: a later lease of the job (leased again before
// the record of the earlier one finished) can still be found lost.
func TestInHandSettleAppliesToItsLeaseOnly(t *testing.T) {
	h := inHand{m: map[store.JobID]heldLease{}}
	j := store.MakeJobID("r", 1, 1)
	h.add(j, 1)
	listed := h.list()
	h.settle(j, 1) // its outcome is being stored
	if n := h.markLost([]store.JobID{j}, listed); n != 0 {
		t.Fatalf("markLost marked %d settling leases, want 0", n)
	}
	h.add(j, 2)    // leased again
	h.settle(j, 1) // a late settle of lease 1
	if n := h.markLost([]store.JobID{j}, h.list()); n != 1 {
		t.Fatalf("markLost marked %d leases, want 1 (lease 2 is not settling)", n)
	}
}
