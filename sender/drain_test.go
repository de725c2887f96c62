package sender

import (
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// With Link.ResponseTimeout left zero (documented: the default), a
// graceful stop still ends every link with TERMINATE.
func TestChannelStopTerminatesLinksWithDefaultResponseTimeout(t *testing.T) {
	var simLog testenv.LogBuffer
	r := newRigWith(t, rigOptions{
		sim:      ismgsim.Config{Logger: zerolog.New(&simLog)},
		settings: func(s *Settings) { s.Link.ResponseTimeout = 0 },
	})
	// The simulator counts a link once it has answered CONNECT; the
	// channel's side must have read the answer too, or the stop cancels
	// a login still in progress and that link never sends TERMINATE.
	testenv.WaitFor(t, 5*time.Second, "two links", func() bool { return r.sim.Links(testSP) == 2 && r.ch.ready.Load() == 2 })
	r.shutdown()
	testenv.WaitFor(t, 5*time.Second, "both links ended by TERMINATE", func() bool {
		return strings.Count(simLog.String(), "TERMINATE from the SP") == 2
	})
}

// Once the stop begins, workers finish the SUBMITs in flight but take no
// new job, even though jobs are waiting in the buffer (select picks at
// random among ready cases, so stopping must be checked first).
func TestChannelStopTakesNoNewJobs(t *testing.T) {
	r := newRig(t, ismgsim.Config{}, func(s *Settings) {
		s.Links, s.Link.Window, s.Link.ResponseTimeout = 1, 4, 10*time.Second
	})
	r.sim.SetFaults(ismgsim.Faults{ResponseDelay: 2 * time.Second})
	r.enqueue(t, "stop", 40, []byte("a"))
	testenv.WaitFor(t, 5*time.Second, "a window of SUBMITs in flight", func() bool { return len(r.sim.Received()) == 4 })
	r.shutdown()
	if n := len(r.sim.Received()); n != 4 {
		t.Fatalf("simulator received %d SUBMITs, want the 4 in flight when the stop began", n)
	}
	var submitted, leased int
	for _, rc := range r.status(t, "stop").Recipients {
		switch st := rc.Segments[0].State; {
		case st == store.JobLeased:
			leased++
		case st == store.JobSubmitted || st.Final():
			submitted++
		}
	}
	if submitted != 4 || leased != 0 {
		t.Fatalf("after the stop: %d submitted, %d still leased; want 4 and 0", submitted, leased)
	}
}

// EndDrain cuts a drain short: Run returns without waiting DrainTimeout
// for a SUBMIT that is not answered, and the job keeps its lease, to be
// sent again when it expires.
func TestChannelEndDrain(t *testing.T) {
	r := newRig(t, ismgsim.Config{}, func(s *Settings) {
		s.DrainTimeout, s.Link.ResponseTimeout = time.Hour, time.Hour
	})
	r.sim.SetFaults(ismgsim.Faults{ResponseDelay: time.Hour})
	r.enqueue(t, "end", 1, []byte("a"))
	testenv.WaitFor(t, 5*time.Second, "SUBMIT in flight", func() bool { return len(r.sim.Received()) == 1 })
	r.stop()
	r.ch.EndDrain()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run still draining 10s after EndDrain")
	}
	if st := r.status(t, "end").Recipients[0].Segments[0].State; st != store.JobLeased {
		t.Fatalf("job %s after an ended drain, want leased (its lease returns it)", st)
	}
}
