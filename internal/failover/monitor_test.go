package failover

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/store"
)

// The simulator stops: no replica has a link for no_link_for, the
// channel fails over (the sender leases nothing); a simulator on the same
// address again: links return and, healthy_for later, it fails back and
// the queue goes out.
func TestNoLinkTripsAndFailsBack(t *testing.T) {
	r := newRig(t, fastRules())
	testenv.WaitFor(t, 10*time.Second, "links up", func() bool { return r.svc.ChannelsReady()[testCh] })
	addr := r.sim.Addr()
	_ = r.sim.Close()
	testenv.WaitFor(t, 20*time.Second, "down on no_link", func() bool { return r.mon.Down(testCh) })
	if got := r.mon.DownChannels(); got[testCh] != "no_link" {
		t.Fatalf("DownChannels %v", got)
	}
	if r.switches("no_link", "down") != 1 || gaugeValue(r.metrics, testCh) != 1 {
		t.Fatalf("switch not counted once: %v, gauge %v", r.switches("no_link", "down"), gaugeValue(r.metrics, testCh))
	}
	r.enqueue(t, "nl-1", 3) // queued while down

	sim2, err := ismgsim.NewServer(ismgsim.Config{Addr: addr,
		Accounts: []ismgsim.Account{{SPID: testSP, Secret: testSecret}}, ReportDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatalf("restart the simulator on %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = sim2.Close() })
	testenv.WaitFor(t, 30*time.Second, "failed back", func() bool { return !r.mon.Down(testCh) })
	if r.switches("no_link", "up") != 1 || gaugeValue(r.metrics, testCh) != 0 {
		t.Fatalf("failback not counted once: %v", r.switches("no_link", "up"))
	}
	testenv.WaitFor(t, 20*time.Second, "delivered after failback", func() bool {
		return r.request(t, "nl-1").Status == store.RequestDelivered
	})
}

// SUBMITs refused with a problem Result trip the channel; the segments
// are retried, never failed, and go out after the failback.
func TestProblemResultTrips(t *testing.T) {
	rules := fastRules()
	rules.ProblemResults = []uint32{9}
	r := newRig(t, rules)
	r.sim.SetFaults(ismgsim.Faults{ForceResult: 9})
	r.enqueue(t, "pr-1", 10)
	testenv.WaitFor(t, 20*time.Second, "down on problem_result", func() bool { return r.mon.Down(testCh) })
	if got := r.mon.DownChannels()[testCh]; got != "problem_result" {
		t.Fatalf("rule %q", got)
	}
	if req := r.request(t, "pr-1"); req.Counts.Failed != 0 || req.Status == store.RequestFailed {
		t.Fatalf("problem Results failed segments: %+v", req.Counts)
	}
	r.sim.SetFaults(ismgsim.Faults{})
	testenv.WaitFor(t, 30*time.Second, "delivered after failback", func() bool {
		return r.request(t, "pr-1").Status == store.RequestDelivered
	})
	if r.switches("problem_result", "down") != 1 || r.switches("problem_result", "up") != 1 {
		t.Fatalf("switches down %v up %v", r.switches("problem_result", "down"), r.switches("problem_result", "up"))
	}
}

// Failing reports push the failure share over the threshold.
func TestFailureShareTrips(t *testing.T) {
	rules := fastRules()
	rules.NoLinkFor = 0 // only the share can trip it
	r := newRig(t, rules)
	r.sim.SetFaults(ismgsim.Faults{FailReportRatio: 1})
	r.enqueue(t, "fs-1", 30)
	testenv.WaitFor(t, 30*time.Second, "down on failure_share", func() bool { return r.mon.Down(testCh) })
	if got := r.mon.DownChannels()[testCh]; got != "failure_share" {
		t.Fatalf("rule %q", got)
	}
	if req := r.request(t, "fs-1"); req.Counts.Failed == 0 {
		t.Fatalf("no failed recipient behind the share: %+v", req.Counts)
	}
}

// Lost reports count as failures too: the share trips on silence.
func TestNoReportShareTrips(t *testing.T) {
	rules := fastRules()
	rules.NoLinkFor = 0
	r := newRig(t, rules)
	r.sim.SetFaults(ismgsim.Faults{NoReportRatio: 1})
	r.enqueue(t, "nr-1", 30)
	testenv.WaitFor(t, 30*time.Second, "down on failure_share", func() bool { return r.mon.Down(testCh) })
	if got := r.mon.DownChannels()[testCh]; got != "failure_share" {
		t.Fatalf("rule %q", got)
	}
	if req := r.request(t, "nr-1"); req.Counts.Failed != 0 || req.Counts.Delivered != 0 {
		t.Fatalf("reports came after all: %+v", req.Counts)
	}
}

// Two monitors (two replicas) on one prefix: each sees the channel go
// down, and exactly one of them performs (logs and counts) the switch.
func TestTwoMonitorsOneTransition(t *testing.T) {
	env := testenv.Redis(t)
	st := store.New(env.Client, store.Options{Prefix: env.Prefix})
	rules := fastRules()
	rules.NoLinkFor = 500 * time.Millisecond
	var mons [2]*Monitor
	var ms [2]*metrics.Metrics
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for i := range mons {
		ms[i] = metrics.New()
		m, err := NewMonitor(Config{Store: st, Owner: string(rune('a' + i)), Metrics: ms[i],
			Logger: zerolog.New(zerolog.NewTestWriter(t)), Tick: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		m.SetRules(map[string]Rules{testCh: rules}) // no Ready: no replica has a link
		mons[i] = m
		wg.Go(func() { m.Run(ctx) })
	}
	testenv.WaitFor(t, 20*time.Second, "both see it down", func() bool { return mons[0].Down(testCh) && mons[1].Down(testCh) })
	total := counterValue(ms[0], testCh, "no_link", "down") + counterValue(ms[1], testCh, "no_link", "down")
	if total != 1 {
		t.Fatalf("the switch was performed %v times, want 1", total)
	}
}

// While a channel is down, one mover moves its never-submitted
// recipients with the reroute choice until none is left, and stops once
// it is back up.
func TestMoverRunsWhileDown(t *testing.T) {
	env := testenv.Redis(t)
	st := store.New(env.Client, store.Options{Prefix: env.Prefix})
	var left atomic.Int64
	left.Store(1200)
	var calls atomic.Int64
	var mu sync.Mutex
	var seen []string
	mover := MoverFunc(func(ctx context.Context, from string, target func(string, []string) []string, limit int) (int, error) {
		calls.Add(1)
		mu.Lock()
		seen = append(seen, from+"→"+target("t", []string{"13800138000"})[0])
		mu.Unlock()
		n := min(int64(limit), left.Load())
		left.Add(-n)
		return int(n), nil
	})
	reroute := func(tenant string, numbers []string) []string {
		out := make([]string, len(numbers))
		for i := range out {
			out[i] = "cm2"
		}
		return out
	}
	var up atomic.Bool
	rules := fastRules()
	rules.NoLinkFor = 300 * time.Millisecond
	m, err := NewMonitor(Config{Store: st, Owner: "mv", Logger: zerolog.New(zerolog.NewTestWriter(t)),
		Ready: func() map[string]bool { return map[string]bool{testCh: up.Load()} },
		Mover: mover, Reroute: reroute, Tick: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m.SetRules(map[string]Rules{testCh: rules})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	testenv.WaitFor(t, 20*time.Second, "everything moved", func() bool { return left.Load() == 0 })
	mu.Lock()
	if seen[0] != testCh+"→cm2" {
		t.Fatalf("mover called as %v", seen[0])
	}
	mu.Unlock()
	// New jobs arriving while down are moved by a later tick.
	left.Store(7)
	testenv.WaitFor(t, 20*time.Second, "new jobs moved", func() bool { return left.Load() == 0 })
	up.Store(true)
	testenv.WaitFor(t, 20*time.Second, "failed back", func() bool { return !m.Down(testCh) })
	n := calls.Load()
	left.Store(5)
	// Up again: the mover does not run while the monitor ticks on (the
	// state has been up for 10 ticks).
	testenv.WaitFor(t, 20*time.Second, "ten more ticks", func() bool {
		st2, err := st.HealthTick(context.Background(), testCh, true, store.HealthCounts{}, rules.storeRules(50*time.Millisecond))
		return err == nil && !st2.Down && time.Since(st2.Since) > 500*time.Millisecond
	})
	if calls.Load() != n || left.Load() != 5 {
		t.Fatalf("the mover ran while the channel was up (%d calls, %d left)", calls.Load()-n, left.Load())
	}
}
