package sender

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// testHealth is a Health whose answers the test sets; it records what
// the channel counts.
type testHealth struct {
	down      atomic.Bool
	downCalls atomic.Int64
	problem   uint32

	mu                                           sync.Mutex
	accepted, refused, problems, reports, failed int
}

func (h *testHealth) Down(string) bool {
	h.downCalls.Add(1)
	return h.down.Load()
}

func (h *testHealth) ProblemResult(_ string, res uint32) bool {
	return h.problem != 0 && res == h.problem
}

func (h *testHealth) Count(_ string, a, r, p, rep, f int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.accepted, h.refused, h.problems, h.reports, h.failed = h.accepted+a, h.refused+r, h.problems+p, h.reports+rep, h.failed+f
}

func (h *testHealth) counts() (a, r, p, rep, f int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.accepted, h.refused, h.problems, h.reports, h.failed
}

// A channel its Health reports down leases nothing while its links are
// up; once it is up again the queue goes out.
func TestLeaserGateHoldsDownChannel(t *testing.T) {
	h := &testHealth{}
	h.down.Store(true)
	r := newRigWith(t, rigOptions{deps: func(d *Deps) { d.Health = h }})
	r.enqueue(t, "gate-1", 5, []byte("hello"))
	testenv.WaitFor(t, 10*time.Second, "links up", r.ch.Ready)
	from := h.downCalls.Load()
	testenv.WaitFor(t, 10*time.Second, "the leaser polled 20 times while down", func() bool {
		return h.downCalls.Load() >= from+20
	})
	if n := len(r.sim.Received()); n != 0 {
		t.Fatalf("a down channel sent %d SUBMITs", n)
	}
	q, err := r.st.QueueDepth(context.Background(), "default")
	if err != nil || q.Pending != 5 || q.Leased != 0 {
		t.Fatalf("queue while down: %+v %v (want 5 pending, none leased)", q, err)
	}
	h.down.Store(false)
	testenv.WaitFor(t, 10*time.Second, "delivered once up", func() bool {
		return r.status(t, "gate-1").Status == store.RequestDelivered
	})
	if a, _, _, rep, f := h.counts(); a != 5 || rep != 5 || f != 0 {
		t.Fatalf("counted accepted %d, reports %d (failed %d); want 5, 5, 0", a, rep, f)
	}
}

// A problem Result is a channel problem, not a bad number: the segment
// is retried (never failed), counted as a problem, and goes out once the
// channel accepts again.
func TestProblemResultRetriedNotFailed(t *testing.T) {
	h := &testHealth{problem: 9}
	r := newRigWith(t, rigOptions{deps: func(d *Deps) { d.Health = h }, settings: func(s *Settings) {
		s.LinkLossBackoff, s.LinkLossMaxBackoff = 10*time.Millisecond, 50*time.Millisecond
	}})
	r.sim.SetFaults(ismgsim.Faults{ForceResult: 9})
	r.enqueue(t, "prob-1", 3, []byte("hello"))
	testenv.WaitFor(t, 20*time.Second, "each segment refused with Result 9 at least twice", func() bool {
		return r.sim.Counts()[testSP].Rejected >= 6
	})
	req := r.status(t, "prob-1")
	if req.Status == store.RequestFailed || req.Counts.Failed > 0 {
		t.Fatalf("problem Results failed the request: %+v", req)
	}
	if _, refused, p, _, _ := h.counts(); p < 6 || refused != 0 {
		t.Fatalf("counted %d problems, %d refused; want ≥ 6 and 0", p, refused)
	}
	r.sim.SetFaults(ismgsim.Faults{})
	testenv.WaitFor(t, 20*time.Second, "delivered once the channel accepts", func() bool {
		return r.status(t, "prob-1").Status == store.RequestDelivered
	})
}

// Without Health, or for a Result that is not a problem, a refusal is
// final as before.
func TestNonProblemResultStillFails(t *testing.T) {
	h := &testHealth{problem: 9}
	r := newRigWith(t, rigOptions{deps: func(d *Deps) { d.Health = h }})
	r.sim.SetFaults(ismgsim.Faults{ForceResult: 10})
	r.enqueue(t, "bad-1", 2, []byte("hello"))
	testenv.WaitFor(t, 10*time.Second, "failed", func() bool {
		return r.status(t, "bad-1").Status == store.RequestFailed
	})
	if _, refused, p, _, _ := h.counts(); refused != 2 || p != 0 {
		t.Fatalf("counted %d refused, %d problems; want 2 and 0", refused, p)
	}
}
