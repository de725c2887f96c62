package sender

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// A Result 8 storm of 15 s under 250 segments/s offered: the channel cuts
// its shared rate, so the ISMG sees at most about the rate it accepted
// before the storm (measured: ≤ 2×), no segment fails flow_control (the
// storm is shorter than FlowControlTimeout), and every segment is
// delivered once the ISMG accepts again.
func TestChannelResult8StormThrottlesAndRecovers(t *testing.T) {
	const (
		perTick = 25 // recipients per request, one request every tick
		tick    = 100 * time.Millisecond
		offered = perTick * int(time.Second/tick) // 250 segments/s
		warmUp  = 5 * time.Second
		storm   = 15 * time.Second
	)
	r := newRig(t, ismgsim.Config{}, nil)
	testenv.WaitFor(t, 10*time.Second, "two links", func() bool { return r.sim.Links(testSP) == 2 })

	// The producer offers 250 segments/s through warm-up and storm.
	ctx, stopOffer := context.WithCancel(context.Background())
	offerDone := make(chan int)
	go func() {
		n := 0
		defer func() { offerDone <- n }()
		tk := time.NewTicker(tick)
		defer tk.Stop()
		for {
			req := store.NewRequest{ID: fmt.Sprintf("storm-%d", n), Tenant: "t", Channel: "default", MsgFmt: 8}
			for i := range perTick {
				req.Recipients = append(req.Recipients, fmt.Sprintf("1380013%04d", i))
			}
			req.Segments = []store.Segment{{Content: []byte("hi")}}
			if err := r.st.CreateRequest(ctx, req); err != nil {
				if ctx.Err() == nil {
					t.Errorf("CreateRequest: %v", err)
				}
				return
			}
			n++
			r.hub.JobsQueued("default")
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
		}
	}()
	stopOfferOnce := func() int { stopOffer(); return <-offerDone }
	t.Cleanup(func() { stopOffer() })

	phase := time.NewTimer(warmUp)
	<-phase.C
	stormStart := time.Now()
	r.sim.SetFaults(ismgsim.Faults{ForceResult: 8})
	phase.Reset(storm)
	<-phase.C
	r.sim.SetFaults(ismgsim.Faults{})
	stormEnd := time.Now()
	requests := stopOfferOnce()
	total := requests * perTick

	// Rates from what the simulator received, by its own timestamps.
	const before = 3 * time.Second
	var acceptedBefore, sentInStorm, r8 int
	for _, g := range r.sim.Received() {
		switch {
		case g.At.Before(stormStart):
			if g.Result == 0 && !g.At.Before(stormStart.Add(-before)) {
				acceptedBefore++
			}
		case g.At.Before(stormEnd):
			sentInStorm++
			if g.Result == 8 {
				r8++
			}
		}
	}
	acceptRate := float64(acceptedBefore) / before.Seconds()
	stormRate := float64(sentInStorm) / stormEnd.Sub(stormStart).Seconds()
	t.Logf("offered %d/s; accepted %.0f/s before the storm; %d SUBMITs in the %s storm (%.1f/s, %d answered Result 8)",
		offered, acceptRate, sentInStorm, stormEnd.Sub(stormStart).Round(time.Millisecond), stormRate, r8)
	if acceptRate < float64(offered)/2 {
		t.Fatalf("accepted only %.0f/s before the storm of %d/s offered: the warm-up did not carry the load", acceptRate, offered)
	}
	if r8 == 0 {
		t.Fatal("no Result 8 during the storm: the test did not exercise flow control")
	}
	if stormRate > 2*acceptRate {
		t.Fatalf("%.1f SUBMITs/s during the storm, more than twice the %.0f/s accepted before it", stormRate, acceptRate)
	}

	testenv.WaitFor(t, 90*time.Second, "every segment accepted and reported", func() bool {
		c := r.sim.Counts()[testSP]
		return c.Accepted >= uint64(total) && c.ReportsAcked >= uint64(total)
	})
	for i := range requests {
		req := r.status(t, fmt.Sprintf("storm-%d", i))
		if req.Status != store.RequestDelivered {
			for _, rc := range req.Recipients {
				if rc.Status != store.RecipientDelivered {
					t.Fatalf("request %s is %s: recipient %+v", req.ID, req.Status, rc)
				}
			}
			t.Fatalf("request %s is %s", req.ID, req.Status)
		}
	}
	t.Logf("all %d segments delivered %s after the storm", total, time.Since(stormEnd).Round(time.Millisecond))
}

// A storm that outlasts FlowControlTimeout fails the segments answered
// Result 8 with flow_control — not before the timeout, whatever the number
// of resends.
func TestChannelResult8StormFailsAfterTimeout(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	r := newRig(t, ismgsim.Config{}, func(s *Settings) { s.FlowControlTimeout = timeout })
	r.sim.SetFaults(ismgsim.Faults{ForceResult: 8})
	start := time.Now()
	r.enqueue(t, "long-storm", 3, []byte("hi"))
	testenv.WaitFor(t, 20*time.Second, "request failed", func() bool {
		return r.status(t, "long-storm").Status == store.RequestFailed
	})
	took := time.Since(start)
	if took < timeout {
		t.Fatalf("failed after %v, before the %v storm timeout", took, timeout)
	}
	for _, rc := range r.status(t, "long-storm").Recipients {
		if rc.Status != store.RecipientFailed || rc.ErrorCode != "flow_control" {
			t.Fatalf("recipient %s: %s/%s, want failed/flow_control", rc.Number, rc.Status, rc.ErrorCode)
		}
	}
	if c := r.sim.Counts()[testSP]; c.FlowControlled < 3 {
		t.Fatalf("only %d Result 8 answers", c.FlowControlled)
	}
}
