package sender

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// reportsInHandN is the number of recipients (one SUBMIT each) of the
// drain-report tests: the whole window of both links.
const reportsInHandN = 8

// reportsInHandRig is a rig whose channel is draining while the status
// reports of its last SUBMITs are in hand: their store call waits for
// release, the SUBMITs are answered, and the drain is closing the links.
type reportsInHandRig struct {
	*rig
	logs    *testenv.LogBuffer // the channel's and its links' log
	release func()             // lets the reports' store calls proceed
	removed chan error         // Service.Remove's result (remove only)
}

// newReportsInHandRig starts the drain by Service.Remove when remove is
// set, else by cancelling Run's ctx.
func newReportsInHandRig(t *testing.T, remove bool) *reportsInHandRig {
	t.Helper()
	logs := &testenv.LogBuffer{}
	gate := make(chan struct{})
	r := newRigWith(t, rigOptions{
		// Reports come while the SUBMITs are held (ResponseDelay below),
		// so during the drain.
		sim: ismgsim.Config{ReportDelay: 300 * time.Millisecond},
		settings: func(s *Settings) {
			s.Links, s.Link.Window, s.Link.ResponseTimeout = 2, 4, 5*time.Second
		},
		deps: func(d *Deps) {
			d.Logger = zerolog.New(zerolog.MultiLevelWriter(zerolog.NewTestWriter(t), logs)).Level(zerolog.InfoLevel)
		},
		channel: func(c *Channel) { c.beforeReports = func() { <-gate } },
		service: remove,
	})
	var once sync.Once
	h := &reportsInHandRig{rig: r, logs: logs, release: func() { once.Do(func() { close(gate) }) }, removed: make(chan error, 1)}
	t.Cleanup(h.release) // runs before the rig's shutdown
	testenv.WaitFor(t, 5*time.Second, "two links", func() bool { return r.sim.Links(testSP) == 2 })

	r.sim.SetFaults(ismgsim.Faults{ResponseDelay: 1500 * time.Millisecond})
	r.enqueue(t, "drain", reportsInHandN, []byte("a"))
	testenv.WaitFor(t, 5*time.Second, "every SUBMIT in flight", func() bool { return len(r.sim.Received()) == reportsInHandN })

	if remove {
		go func() { h.removed <- r.svc.Remove(context.Background(), "default") }()
	} else {
		r.stop()
	}
	testenv.WaitFor(t, 5*time.Second, "every report sent by the ISMG", func() bool {
		return r.sim.Counts()[testSP].ReportsSent == reportsInHandN
	})
	testenv.WaitFor(t, 5*time.Second, "every SUBMIT_RESP recorded (the drain now closes the links)", func() bool {
		for _, rc := range r.status(t, "drain").Recipients {
			if rc.Segments[0].State != store.JobSubmitted {
				return false
			}
		}
		return true
	})
	return h
}

// waitStopped waits for the drain to end: Remove returned (remove), or
// Run.
func (h *reportsInHandRig) waitStopped(t *testing.T, remove bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	if remove {
		select {
		case err := <-h.removed:
			if err != nil {
				t.Fatalf("Remove: %v", err)
			}
		case <-timeout:
			t.Fatal("Remove still draining after 10s")
		}
		return
	}
	select {
	case <-h.done:
	case <-timeout:
		t.Fatal("Run still draining after 10s")
	}
}

// Status reports that are being stored when a drain closes the links are
// still stored and acknowledged: each link answers the DELIVERs in hand
// before its TERMINATE, so the ISMG resends none and nothing is logged as
// not acknowledged. Both ways a channel drains: the shutdown (Run's ctx
// cancelled) and Service.Remove.
func TestDrainAcknowledgesReportsInHand(t *testing.T) {
	for _, remove := range []bool{false, true} {
		name := map[bool]string{false: "shutdown", true: "Service.Remove"}[remove]
		t.Run(name, func(t *testing.T) {
			h := newReportsInHandRig(t, remove)
			if l := h.sim.Links(testSP); l != 2 {
				t.Fatalf("%d links logged in while reports are in hand, want 2: a link closed under them", l)
			}
			h.release()
			h.waitStopped(t, remove)

			// The simulator ends a link just after its TERMINATE_RESP, and
			// would then hand the DELIVERs it had left unanswered to another
			// link, counting them resent.
			testenv.WaitFor(t, 5*time.Second, "links ended at the simulator", func() bool { return h.sim.Links(testSP) == 0 })
			if c := h.sim.Counts()[testSP]; c.ReportsAcked != reportsInHandN || c.ReportsResent != 0 {
				t.Fatalf("simulator: %d reports acknowledged, %d resent; want %d and 0",
					c.ReportsAcked, c.ReportsResent, reportsInHandN)
			}
			for _, rc := range h.status(t, "drain").Recipients {
				if sg := rc.Segments[0]; sg.State != store.JobDelivered {
					t.Fatalf("recipient %s: segment %s, want delivered (its report stored)", rc.Number, sg.State)
				}
			}
			s := h.logs.String()
			if !strings.Contains(s, "channel stopped") {
				t.Fatalf("the channel's log was not captured:\n%s", s)
			}
			if strings.Contains(s, "not acknowledged") || strings.Contains(s, "unacknowledged") {
				t.Fatalf("a DELIVER was left unacknowledged:\n%s", s)
			}
		})
	}
}

// When the drain is ended (EndDrain, as at the end of a shutdown budget)
// with reports still in hand, the links close under them: they stay
// unacknowledged (the ISMG sends them again), and the channel says so in
// one line with their count instead of a warning per DELIVER.
func TestDrainEndLogsUnacknowledgedReportsOnce(t *testing.T) {
	h := newReportsInHandRig(t, false)
	h.ch.EndDrain()
	testenv.WaitFor(t, 5*time.Second, "links closed by the ended drain", func() bool { return h.sim.Links(testSP) == 0 })
	h.release()
	h.waitStopped(t, false)

	if c := h.sim.Counts()[testSP]; c.ReportsAcked != 0 || c.ReportsPending != reportsInHandN {
		t.Fatalf("simulator: %d reports acknowledged, %d pending; want 0 and %d (to be sent again)",
			c.ReportsAcked, c.ReportsPending, reportsInHandN)
	}
	s := h.logs.String()
	if strings.Contains(s, "not acknowledged") {
		t.Fatalf("a warning per unacknowledged DELIVER:\n%s", s)
	}
	if n := strings.Count(s, "DELIVERs left unacknowledged"); n != 1 || !strings.Contains(s, `"delivers":8`) {
		t.Fatalf("%d summary lines, want one counting 8 DELIVERs:\n%s", n, s)
	}
}
