package tests

import (
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// The service is killed with SIGKILL while 5,000 segments are queued and
// restarted: every segment reaches the simulator at least once, and the
// duplicates stay within what the links had in flight (window × links).
func TestSIGKILLLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("process crash test skipped in -short mode")
	}
	env := testenv.Redis(t)
	// The killed process's links die with reports in flight; the simulator
	// counts each re-send across links, so give it room (a real ISMG keeps
	// retrying reports for much longer than three sends).
	sim := newSim(t, 0, func(c *ismgsim.Config) { c.Transmissions = 10 })
	// Slow answers keep many SUBMITs in flight at the moment of the kill.
	sim.SetFaults(ismgsim.Faults{ResponseDelay: 5 * time.Millisecond})
	cfg := gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), LeaseTTL: "2s"}
	p := startProcess(t, cfg)
	c := api{t: t, base: p.url()}
	var ids []string
	for i := range 5 {
		ids = append(ids, c.send(numbers(i*1000, 1000), "crash").ID)
	}
	testenv.WaitFor(t, 30*time.Second, "1,000 segments at the simulator", func() bool { return len(sim.Received()) >= 1000 })
	p.kill()
	atKill := len(sim.Received())

	p2 := startProcess(t, cfg)
	c2 := api{t: t, base: p2.url()}
	// The guarantee under test: every segment reaches the ISMG and has its
	// SUBMIT_RESP stored (request status submitted or delivered). Wait on
	// that with a deadline; on failure say where the missing segments are.
	deadline := time.After(120 * time.Second)
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for _, id := range ids {
		for st := c2.get(id).Status; st != "submitted" && st != "delivered"; st = c2.get(id).Status {
			select {
			case <-deadline:
				describeUndelivered(t, env, c2, id, sim)
				t.Fatalf("request %s is %s after the deadline", id, st)
			case <-poll.C:
			}
		}
	}
	// Reports then follow: one the simulator had in flight on the killed
	// process's links is re-sent to the new process and matched there.
	reportsBy := time.After(60 * time.Second)
	for _, id := range ids {
		for st := c2.get(id).Status; st != "delivered"; st = c2.get(id).Status {
			select {
			case <-reportsBy:
				describeUndelivered(t, env, c2, id, sim)
				t.Fatalf("request %s is %s: a report never arrived", id, st)
			case <-poll.C:
			}
		}
	}
	perDest := map[string]int{}
	for _, g := range sim.Received() {
		if g.Result == 0 {
			perDest[g.Dest]++
		}
	}
	dups := 0
	for _, n := range perDest {
		dups += n - 1
	}
	if len(perDest) != 5000 {
		t.Fatalf("simulator accepted %d distinct recipients, want 5000", len(perDest))
	}
	const bound = 16 * 2 // window × links
	t.Logf("killed after %d SUBMITs; after restart all 5,000 sent, recorded and reported; duplicates: %d (bound %d)", atKill, dups, bound)
	if dups > bound {
		t.Fatalf("%d duplicates, more than window × links = %d", dups, bound)
	}
	if code := p2.terminate(t); code != 0 {
		t.Fatalf("SIGTERM exit code %d, want 0", code)
	}
}

// Two service processes share one Redis and one simulator account: every
// segment is sent once and the channel's rate limit holds across both.
func TestTwoReplicasShareQueueAndRate(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	env := testenv.Redis(t)
	const rate = 400
	sim := newSim(t, rate, nil)
	cfg := gwConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr(), Rate: rate}
	a, b := startProcess(t, cfg), startProcess(t, cfg)
	ca, cb := api{t: t, base: a.url()}, api{t: t, base: b.url()}
	testenv.WaitFor(t, 10*time.Second, "4 links logged in", func() bool { return sim.Links(spID) == 4 })
	ids := []string{
		ca.send(numbers(0, 1000), "replica a").ID,
		cb.send(numbers(1000, 1000), "replica b").ID,
	}
	for _, id := range ids {
		ca.waitStatus(id, 120*time.Second, "delivered")
	}
	got := sim.Received()
	perDest := map[string]int{}
	links := map[uint64]bool{}
	for _, g := range got {
		if g.Result == 0 {
			perDest[g.Dest]++
			links[g.LinkID] = true
		}
	}
	for dest, n := range perDest {
		if n != 1 {
			t.Fatalf("%s sent %d times", dest, n)
		}
	}
	if len(perDest) != 2000 {
		t.Fatalf("%d distinct recipients accepted, want 2000", len(perDest))
	}
	if len(links) < 3 {
		t.Fatalf("segments came over %d links; both replicas should have sent", len(links))
	}
	if fc := sim.Counts()[spID].FlowControlled; fc != 0 {
		t.Fatalf("the ISMG answered Result 8 %d times: the shared limit did not hold across replicas", fc)
	}
	first, last := acceptedSpan(got)
	observed := float64(len(perDest)-1) / last.Sub(first).Seconds()
	t.Logf("2,000 segments over %d links in %s: %.0f/s (limit %d/s)", len(links), last.Sub(first).Round(time.Millisecond), observed, rate)
	if observed > rate*1.1 {
		t.Fatalf("observed %.0f submits/s, limit %d/s", observed, rate)
	}
	for _, p := range []*process{a, b} {
		if code := p.terminate(t); code != 0 {
			t.Fatalf("SIGTERM exit code %d", code)
		}
	}
}

// describeUndelivered logs what is known about the recipients of id that
// are not delivered: their state in the API and in the store, whether the
// simulator saw them, and the simulator's report counters.
func describeUndelivered(t *testing.T, env *testenv.RedisEnv, c api, id string, sim *ismgsim.Server) {
	t.Helper()
	seen := map[string]int{}
	for _, g := range sim.Received() {
		seen[g.Dest]++
	}
	st := c.get(id)
	n := 0
	for _, r := range st.Recipients {
		if r.Status == "delivered" || n >= 10 {
			continue
		}
		n++
		t.Logf("recipient %s: status %s error %q segments %+v; simulator SUBMITs %d", r.To, r.Status, r.ErrorCode, r.Segments, seen[r.To])
	}
	keys, _ := env.Client.Keys(t.Context(), "*"+env.Prefix+":*").Result()
	for _, k := range keys {
		typ, _ := env.Client.Type(t.Context(), k).Result()
		switch typ {
		case "list":
			l, _ := env.Client.LLen(t.Context(), k).Result()
			t.Logf("key %s list len %d", k, l)
		case "zset":
			z, _ := env.Client.ZRangeWithScores(t.Context(), k, 0, 5).Result()
			cnt, _ := env.Client.ZCard(t.Context(), k).Result()
			t.Logf("key %s zset card %d first %v", k, cnt, z)
		}
	}
	t.Logf("request %s is %s; simulator counts %+v", id, st.Status, sim.Counts()[spID])
}
