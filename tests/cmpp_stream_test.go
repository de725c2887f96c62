package tests

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// cmppPair is two smsbridge processes (replicas a and b) on one Redis with
// the simulator upstream and the CMPP server on.
type cmppPair struct {
	env  *testenv.RedisEnv
	sim  *ismgsim.Server
	cfg  cmppConfig
	a, b *cmppProc
}

func newCMPPPair(t *testing.T) *cmppPair {
	t.Helper()
	env := testenv.Redis(t)
	// A killed replica's upstream links die with reports in flight; the
	// simulator re-sends each on the other replica's links.
	sim := newSim(t, 0, func(c *ismgsim.Config) { c.Transmissions = 10 })
	cfg := cmppConfig{RedisAddr: env.Addr, Prefix: env.Prefix, SimAddr: sim.Addr()}
	p := &cmppPair{env: env, sim: sim, cfg: cfg}
	p.a, p.b = startCMPPProcess(t, cfg), startCMPPProcess(t, cfg)
	testenv.WaitFor(t, 10*time.Second, "4 upstream links logged in", func() bool { return sim.Links(spID) == 4 })
	return p
}

// The customer's own CMPP client (cmpp.Dial, window 16) submits 10,000
// segments — single ASCII and UCS2, and long UCS2 messages with 6- and
// 7-byte UDHs, each segment its own SUBMIT — over two links on each of two
// replicas. Every segment reaches the simulator once with its UDH and
// content byte-identical, and every SUBMIT_RESP Msg_Id comes back exactly
// once as a DELIVRD report DELIVER (the client answers every DELIVER).
func TestCMPPTenThousandSegmentsTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	p := newCMPPPair(t)
	c := newCustomer(t, cmppAccount, cmppSecret)
	links := []*custLink{
		c.mustDial(p.a.cmpp, "a"), c.mustDial(p.a.cmpp, "a"),
		c.mustDial(p.b.cmpp, "b"), c.mustDial(p.b.cmpp, "b"),
	}
	segs := makeSegments(10000, 0)
	s := newStream(t, segs)
	start := time.Now()
	s.run(links, nil)
	if s.left() != 0 || s.resubmitted != 0 {
		t.Fatalf("%d segments not answered, %d SUBMITs unanswered on a dropped link", s.left(), s.resubmitted)
	}
	submitted := time.Since(start)
	waitReports(t, c, s, 120*time.Second)
	reported := time.Since(start)
	waitSettled(t, newCMPPStore(t, p.env, p.cfg), p.sim, 60*time.Second)

	if dups := checkSimulator(t, p.sim, segs); dups != 0 {
		t.Errorf("%d segments reached the simulator more than once", dups)
	}
	orphans, _, resends := checkReports(t, c, s, nil)
	if orphans != 0 {
		t.Errorf("%d reports for Msg_Ids no SUBMIT_RESP carried", orphans)
	}
	perLink := map[string]string{}
	for _, l := range links {
		st := l.Stats()
		perLink[l.name] = fmt.Sprintf("%d (peak in flight %d)", st.Submitted, st.PeakInFlight)
	}
	t.Logf("10,000 segments submitted in %v (%v until the last report); report resends the client did not answer: %d; SUBMITs per link %v",
		submitted.Round(time.Millisecond), reported.Round(time.Millisecond), resends, perLink)
}

// Variant (a): mid-stream the customer's links to replica a drop without
// TERMINATE; the customer logs in on replica b and resubmits what was not
// answered. Nothing answered is lost and no report is delivered twice
// after its DELIVER_RESP reached smsbridge. 2,000 segments.
func TestCMPPLinkDropMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	p := newCMPPPair(t)
	c := newCustomer(t, cmppAccount, cmppSecret)
	first := []*custLink{c.mustDial(p.a.cmpp, "a"), c.mustDial(p.a.cmpp, "a")}
	segs := makeSegments(2000, 100000)
	s := newStream(t, segs)
	var once sync.Once
	s.run(first, func(n int64) {
		if n >= 1000 {
			once.Do(func() {
				for _, l := range first {
					l.proxy.cut()
				}
			})
		}
	})
	droppedAt := s.answered.Load()
	testenv.WaitFor(t, 5*time.Second, "the dropped links are down at the client", func() bool {
		for _, l := range first {
			if !testenv.Signalled(l.Done()) {
				return false
			}
		}
		return true
	})
	s.run([]*custLink{c.mustDial(p.b.cmpp, "b"), c.mustDial(p.b.cmpp, "b")}, nil)
	if s.left() != 0 {
		t.Fatalf("%d segments not answered on replica b", s.left())
	}
	waitReports(t, c, s, 60*time.Second)
	waitSettled(t, newCMPPStore(t, p.env, p.cfg), p.sim, 60*time.Second)
	dups := checkSimulator(t, p.sim, segs)
	orphans, lost, resends := checkReports(t, c, s, nil)
	if lost != 0 {
		t.Errorf("%d reports delivered again although answered", lost)
	}
	if dups > s.resubmitted || orphans > s.resubmitted {
		t.Errorf("%d segments sent twice upstream and %d reports for unanswered SUBMITs: more than the %d SUBMITs unanswered at the drop",
			dups, orphans, s.resubmitted)
	}
	t.Logf("links dropped after %d answers; %d SUBMITs unanswered at the drop and resubmitted on b (%d of them had been stored: sent twice upstream, %d reports for their first Msg_Id); report resends the client did not answer: %d",
		droppedAt, s.resubmitted, dups, orphans, resends)
}

// Variant (b): mid-stream the replica holding the customer's links is
// SIGKILLed; the customer continues on the other. Every answered segment
// is sent and reported; reports the dead replica had leased come back
// after the lease; a report is delivered again only if its DELIVER_RESP
// went to the killed process (at most its links' DELIVER windows).
// 2,000 segments.
func TestCMPPReplicaKilledMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	p := newCMPPPair(t)
	c := newCustomer(t, cmppAccount, cmppSecret)
	first := []*custLink{c.mustDial(p.a.cmpp, "a"), c.mustDial(p.a.cmpp, "a")}
	segs := makeSegments(2000, 200000)
	s := newStream(t, segs)
	var once sync.Once
	s.run(first, func(n int64) {
		if n >= 1000 {
			once.Do(func() { go p.a.kill() })
		}
	})
	killedAt := s.answered.Load()
	<-p.a.done
	s.run([]*custLink{c.mustDial(p.b.cmpp, "b"), c.mustDial(p.b.cmpp, "b")}, nil)
	if s.left() != 0 {
		t.Fatalf("%d segments not answered on replica b", s.left())
	}
	// The killed replica's leases (upstream jobs 2s, DELIVERs 1s×2+5s)
	// must expire before everything is reported.
	waitReports(t, c, s, 90*time.Second)
	waitSettled(t, newCMPPStore(t, p.env, p.cfg), p.sim, 60*time.Second)
	dups := checkSimulator(t, p.sim, segs)
	orphans, lost, resends := checkReports(t, c, s, map[string]bool{"a": true})
	// Answers the killed process had read but not yet acknowledged in
	// Redis: those of the acknowledgement call under way plus those
	// waiting for the next, each at most a full DELIVER window (16) on
	// each of its two customer links.
	const windows = 2 * 16 * 2
	if lost > windows {
		t.Errorf("%d reports delivered again after their answer went to the killed replica: more than two DELIVER windows of its links (%d)", lost, windows)
	}
	const upstream = 16 * 2 // upstream window × the killed replica's upstream links
	if dups > s.resubmitted+upstream || orphans > s.resubmitted {
		t.Errorf("%d segments sent twice upstream and %d reports for unanswered SUBMITs (%d SUBMITs unanswered at the kill)", dups, orphans, s.resubmitted)
	}
	t.Logf("replica a killed after %d answers; %d SUBMITs unanswered and resubmitted on b; %d segments sent twice upstream; %d reports for unanswered SUBMITs; %d reports answered to the killed process and delivered again; %d resends the client did not answer",
		killedAt, s.resubmitted, dups, orphans, lost, resends)
}
