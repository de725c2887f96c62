package sender

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/content"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// rig is a channel wired to a real Redis and a real simulator over TCP.
type rig struct {
	st   *store.Store
	hub  *wake.Hub
	sim  *ismgsim.Server
	ch   *Channel
	svc  *Service // set when rigOptions.service: the channel runs in it
	stop context.CancelFunc
	done chan struct{}
}

const (
	testSP     = "900001"
	testSecret = "888888"
	testSrc    = "1065800001"
)

func newRig(t *testing.T, simCfg ismgsim.Config, tweak func(*Settings)) *rig {
	t.Helper()
	return newRigWith(t, rigOptions{sim: simCfg, settings: tweak})
}

// rigOptions tune newRigWith beyond the simulator and channel settings.
type rigOptions struct {
	sim      ismgsim.Config
	settings func(*Settings)
	deps     func(*Deps)
	// leaseTTL is the store's LeaseTTL; default 2s.
	leaseTTL time.Duration
	// channel, when set, adjusts the channel before it runs.
	channel func(*Channel)
	// service runs the channel in a Service (rig.svc) instead of on its
	// own; stop and done are then the Service's.
	service bool
	// client, when set, sees the Redis client before the store is built
	// (e.g. to add a hook).
	client func(redis.UniversalClient)
}

func newRigWith(t testing.TB, o rigOptions) *rig {
	t.Helper()
	simCfg, tweak := o.sim, o.settings
	env := testenv.Redis(t)
	if o.client != nil {
		o.client(env.Client)
	}
	if o.leaseTTL == 0 {
		o.leaseTTL = 2 * time.Second
	}
	st := store.New(env.Client, store.Options{Prefix: env.Prefix, LeaseTTL: o.leaseTTL})
	if len(simCfg.Accounts) == 0 {
		simCfg.Accounts = []ismgsim.Account{{SPID: testSP, Secret: testSecret}}
	}
	if simCfg.ReportDelay == 0 {
		simCfg.ReportDelay = 10 * time.Millisecond
	}
	sim, err := ismgsim.NewServer(simCfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	set := Settings{
		Name: "default",
		Link: cmpp.LinkConfig{
			Addr: sim.Addr(), SPID: testSP, Secret: testSecret, Version: cmpp.V30,
			ResponseTimeout: time.Second, IdleInterval: 5 * time.Second,
		},
		Links: 2, SrcID: testSrc, ServiceID: "TEST", FeeType: "01", FeeCode: "000000", FeeUserType: 2,
		ReconnectBackoff: 20 * time.Millisecond, ReconnectMaxBackoff: 200 * time.Millisecond,
		FlowControlBackoff: 10 * time.Millisecond, FlowControlMaxBackoff: 100 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&set)
	}
	hub := wake.New("default")
	deps := Deps{
		Store: st, Owner: "test-" + env.Prefix, Wake: hub,
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel),
	}
	if o.deps != nil {
		o.deps(&deps)
	}
	ch, err := NewChannel(set, deps)
	if err != nil {
		t.Fatal(err)
	}
	if o.channel != nil {
		o.channel(ch)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{st: st, hub: hub, sim: sim, ch: ch, stop: cancel, done: make(chan struct{})}
	run := ch.Run
	if o.service {
		if r.svc, err = NewService(ch); err != nil {
			t.Fatal(err)
		}
		run = r.svc.Run
	}
	go func() { defer close(r.done); _ = run(ctx) }()
	t.Cleanup(r.shutdown)
	return r
}

func (r *rig) shutdown() {
	r.stop()
	<-r.done
}

// enqueue stores a request of n recipients with the given segments.
func (r *rig) enqueue(t testing.TB, id string, n int, segs ...[]byte) {
	t.Helper()
	req := store.NewRequest{ID: id, Tenant: "t", Channel: "default", MsgFmt: 8}
	for i := range n {
		req.Recipients = append(req.Recipients, fmt.Sprintf("1380013%04d", i))
	}
	for _, s := range segs {
		req.Segments = append(req.Segments, store.Segment{Content: s, UDHI: len(segs) > 1})
	}
	ctx := context.WithValue(context.Background(), enqueueing{}, true) // not the channel's round trips
	if err := r.st.CreateRequest(ctx, req); err != nil {
		t.Fatal(err)
	}
	r.hub.JobsQueued("default")
}

func (r *rig) status(t *testing.T, id string) *store.Request {
	t.Helper()
	req, err := r.st.GetRequest(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestChannelSendsAndMatchesReports(t *testing.T) {
	r := newRig(t, ismgsim.Config{}, nil)
	segs := [][]byte{{5, 0, 3, 7, 3, 1, 0x4f, 0x60}, {5, 0, 3, 7, 3, 2, 0x59, 0x7d}, {5, 0, 3, 7, 3, 3, 0x00, 0x21}}
	r.enqueue(t, "req-1", 3, segs...)
	testenv.WaitFor(t, 10*time.Second, "request delivered", func() bool {
		return r.status(t, "req-1").Status == store.RequestDelivered
	})
	got := r.sim.Received()
	if len(got) != 9 {
		t.Fatalf("simulator received %d SUBMITs, want 9", len(got))
	}
	byMsgID := map[string]ismgsim.ReceivedSegment{}
	for _, g := range got {
		byMsgID[g.MsgID.String()] = g
		if g.RegisteredDelivery != 1 || g.PkTotal != 3 || g.TPUDHI != 1 || g.SrcID != testSrc || g.ServiceID != "TEST" {
			t.Errorf("SUBMIT fields wrong: %+v", g)
		}
	}
	for _, rc := range r.status(t, "req-1").Recipients {
		for _, sg := range rc.Segments {
			g, ok := byMsgID[sg.MsgID]
			if !ok {
				t.Fatalf("segment msg_id %s not assigned by the simulator", sg.MsgID)
			}
			if g.Dest != rc.Number || int(g.PkNumber) != sg.Index {
				t.Errorf("msg_id %s maps to %s/%d, simulator sent %s/%d", sg.MsgID, rc.Number, sg.Index, g.Dest, g.PkNumber)
			}
		}
	}
}

func TestChannelFlowControlRetriesWithoutFailures(t *testing.T) {
	// 300 segments against an ISMG that takes 50/s (burst 50): even a
	// sender slowed by a loaded machine outruns it, so Result 8 comes.
	r := newRig(t, ismgsim.Config{Accounts: []ismgsim.Account{{SPID: testSP, Secret: testSecret, MaxSubmitsPerSec: 50}}}, nil)
	for i := range 6 {
		r.enqueue(t, fmt.Sprintf("fc-%d", i), 50, []byte("hello"))
	}
	testenv.WaitFor(t, 40*time.Second, "300 segments delivered", func() bool {
		for i := range 6 {
			if r.status(t, fmt.Sprintf("fc-%d", i)).Status != store.RequestDelivered {
				return false
			}
		}
		return true
	})
	c := r.sim.Counts()[testSP]
	if c.FlowControlled == 0 {
		t.Fatalf("expected Result 8 from the simulator at 50/s without a client limit: %+v", c)
	}
	t.Logf("simulator counts: %+v", c)
}

func TestChannelRateLimitHoldsBelowISMGLimit(t *testing.T) {
	r := newRig(t, ismgsim.Config{Accounts: []ismgsim.Account{{SPID: testSP, Secret: testSecret, MaxSubmitsPerSec: 300}}},
		func(s *Settings) { s.MaxSubmitsPerSec = 300 })
	r.enqueue(t, "rl", 600, []byte("hi"))
	testenv.WaitFor(t, 20*time.Second, "600 delivered", func() bool {
		return r.status(t, "rl").Status == store.RequestDelivered
	})
	if c := r.sim.Counts()[testSP]; c.FlowControlled != 0 {
		t.Fatalf("client-side limit at the ISMG's rate still drew %d Result 8", c.FlowControlled)
	}
}

func TestChannelSurvivesLinkClosures(t *testing.T) {
	// A link closed every 150 ms often takes an unacknowledged report
	// with it; after N transmissions (default 3, counted over all links)
	// the simulator gives the report up, as an ISMG does, and the segment
	// would wait out the report wait. That is not what this test is about:
	// let the simulator keep trying.
	r := newRig(t, ismgsim.Config{Transmissions: 100}, nil)
	r.sim.SetFaults(ismgsim.Faults{CloseLinksEvery: 150 * time.Millisecond, ResponseDelay: 2 * time.Millisecond})
	r.enqueue(t, "flaky", 500, []byte("x"))
	testenv.WaitFor(t, 30*time.Second, "all delivered despite closures", func() bool {
		return r.status(t, "flaky").Status == store.RequestDelivered
	})
	seen := map[string]bool{}
	for _, g := range r.sim.Received() {
		seen[g.Dest] = true
	}
	if len(seen) != 500 {
		t.Fatalf("simulator saw %d distinct recipients, want 500", len(seen))
	}
}

func TestChannelMixedOutcomes(t *testing.T) {
	r := newRig(t, ismgsim.Config{}, nil)
	r.sim.SetFaults(ismgsim.Faults{StatOverride: map[string]string{"13800130001": "UNDELIV"}})
	r.enqueue(t, "mixed", 2, []byte("a"))
	testenv.WaitFor(t, 10*time.Second, "final", func() bool {
		return r.status(t, "mixed").Status.Final()
	})
	req := r.status(t, "mixed")
	if req.Status != store.RequestPartiallyDelivered {
		t.Fatalf("status %s, want partially_delivered", req.Status)
	}
	if rc := req.Recipients[1]; rc.Status != store.RecipientFailed || rc.ErrorCode != "UNDELIV" {
		t.Fatalf("recipient 2: %+v", rc)
	}
}

func TestChannelTimeoutBecomesUnknown(t *testing.T) {
	r := newRig(t, ismgsim.Config{}, func(s *Settings) {
		s.Link.ResponseTimeout = 100 * time.Millisecond
		s.Link.Transmissions = 2
	})
	r.sim.SetFaults(ismgsim.Faults{DropResponseRatio: 1})
	r.enqueue(t, "lost", 1, []byte("a"))
	testenv.WaitFor(t, 10*time.Second, "final", func() bool {
		return r.status(t, "lost").Status.Final()
	})
	if rc := r.status(t, "lost").Recipients[0]; rc.Status != store.RecipientUnknown {
		t.Fatalf("recipient: %+v", rc)
	}
}

func TestChannelDrainStoresInFlight(t *testing.T) {
	r := newRig(t, ismgsim.Config{}, nil)
	r.sim.SetFaults(ismgsim.Faults{ResponseDelay: 50 * time.Millisecond})
	r.enqueue(t, "drain", 200, []byte("a"))
	testenv.WaitFor(t, 10*time.Second, "some sent", func() bool { return len(r.sim.Received()) > 20 })
	r.shutdown()
	// Everything the simulator answered is recorded; the rest is queued again.
	sent := map[string]bool{}
	for _, g := range r.sim.Received() {
		sent[g.Dest] = true
	}
	req := r.status(t, "drain")
	var submitted int
	for _, rc := range req.Recipients {
		st := rc.Segments[0].State
		if st == store.JobLeased {
			t.Fatalf("recipient %s still leased after drain", rc.Number)
		}
		if st == store.JobSubmitted || st.Final() {
			submitted++
		}
	}
	if submitted != len(sent) {
		t.Fatalf("%d recorded as submitted, simulator answered %d", submitted, len(sent))
	}
}

func TestChannelStoresMOSingleAndLong(t *testing.T) {
	r := newRig(t, ismgsim.Config{}, nil)
	testenv.WaitFor(t, 5*time.Second, "two links", func() bool { return r.sim.Links(testSP) == 2 })
	long := strings.Repeat("长短信测试", 30) // 150 chars: 3 UCS2 segments spread over both links
	for _, mo := range []ismgsim.MO{
		{SPID: testSP, From: "13900000001", To: testSrc + "77", Text: "TD"},
		{SPID: testSP, From: "13900000002", To: testSrc, Text: long},
	} {
		if err := r.sim.InjectMO(context.Background(), mo); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]*store.MO{}
	testenv.WaitFor(t, 10*time.Second, "two sms.mo events", func() bool {
		evs, err := r.st.LeaseEvents(context.Background(), "default", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Type == store.EventMO {
				got[ev.MO.Src] = ev.MO
			}
		}
		return len(got) == 2
	})
	one, two := got["13900000001"], got["13900000002"]
	if text, _ := content.Decode(one.MsgFmt, one.Data); text != "TD" || one.Dest != testSrc+"77" || one.Parts != 1 {
		t.Fatalf("single MO: %+v (%q)", one, text)
	}
	if text, _ := content.Decode(two.MsgFmt, two.Data); text != long || two.Parts != 3 {
		t.Fatalf("long MO: parts %d, text %q", two.Parts, text)
	}
	// DELIVER_RESP follows the store write, so it may trail the event.
	testenv.WaitFor(t, 5*time.Second, "4 MO DELIVER_RESPs", func() bool { return r.sim.Counts()[testSP].MOAcked == 4 })
}

// A segment whose link keeps dropping before its SUBMIT_RESP becomes final
// 'unknown' (link_lost) after LinkLossRetries leases instead of cutting
// links forever.
func TestChannelLinkLossIsCapped(t *testing.T) {
	r := newRig(t, ismgsim.Config{}, func(s *Settings) {
		s.LinkLossRetries = 2
		s.LinkLossBackoff = time.Millisecond
		s.LinkLossMaxBackoff = 5 * time.Millisecond
	})
	r.sim.SetFaults(ismgsim.Faults{ResponseDelay: time.Hour, CloseLinksEvery: 30 * time.Millisecond})
	r.enqueue(t, "cut", 1, []byte("x"))
	testenv.WaitFor(t, 20*time.Second, "final", func() bool { return r.status(t, "cut").Status.Final() })
	rc := r.status(t, "cut").Recipients[0]
	if rc.Status != store.RecipientUnknown || rc.ErrorCode != "link_lost" || rc.Segments[0].Attempts != 3 {
		t.Fatalf("recipient %+v, segment %+v", rc, rc.Segments[0])
	}
}
