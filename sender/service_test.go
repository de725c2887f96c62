package sender

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/store"
)

// Service tests: one Service on a real Redis and a real simulator, with
// channels added, removed and replaced while it runs.

const (
	svcLinks  = 2
	svcWindow = 8
	// dupBound is the most SUBMITs a stop may leave to be sent twice: the
	// SUBMITs in flight on every link (window × links) when the drain
	// ends before their answers are stored.
	dupBound = svcWindow * svcLinks
)

type serviceRig struct {
	t    *testing.T
	env  *testenv.RedisEnv
	st   *store.Store
	hub  *wake.Hub
	sim  *ismgsim.Server
	svc  *Service
	deps Deps
	stop context.CancelFunc
	done chan struct{}
}

func newServiceRig(t *testing.T, channels ...*Channel) *serviceRig {
	t.Helper()
	env := testenv.Redis(t)
	st := store.New(env.Client, store.Options{Prefix: env.Prefix, LeaseTTL: 2 * time.Second})
	sim, err := ismgsim.NewServer(ismgsim.Config{
		Accounts:    []ismgsim.Account{{SPID: testSP, Secret: testSecret}},
		ReportDelay: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	r := &serviceRig{t: t, env: env, st: st, hub: wake.New(), sim: sim, done: make(chan struct{})}
	r.deps = Deps{Store: st, Owner: "test-" + env.Prefix, Wake: r.hub, Metrics: metrics.New(),
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)}
	r.svc, err = NewService(channels...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() { defer close(r.done); _ = r.svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// channel builds a channel called name on the simulator account with
// secret, the wake hub knowing it.
func (r *serviceRig) channel(name, secret string) *Channel {
	r.t.Helper()
	r.hub.Add(name)
	c, err := NewChannel(Settings{
		Name: name,
		Link: cmpp.LinkConfig{
			Addr: r.sim.Addr(), SPID: testSP, Secret: secret, Version: cmpp.V30,
			Window: svcWindow, ResponseTimeout: 5 * time.Second, IdleInterval: 5 * time.Second,
		},
		Links: svcLinks, SrcID: testSrc, ServiceID: "TEST", FeeType: "01", FeeCode: "000000", FeeUserType: 2,
		MaxSubmitsPerSec: 400, // spreads the load over a few seconds
		ReconnectBackoff: 20 * time.Millisecond, ReconnectMaxBackoff: 200 * time.Millisecond,
	}, r.deps)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// enqueue stores a request of n recipients on channel.
func (r *serviceRig) enqueue(channel, id string, n int) {
	r.t.Helper()
	req := store.NewRequest{ID: id, Tenant: "t", Channel: channel, MsgFmt: 8, Segments: []store.Segment{{Content: []byte("hi")}}}
	for i := range n {
		req.Recipients = append(req.Recipients, fmt.Sprintf("1380013%04d", i))
	}
	if err := r.st.CreateRequest(context.Background(), req); err != nil {
		r.t.Fatal(err)
	}
	r.hub.JobsQueued(channel)
}

// states counts the request's segments by state, and returns the numbers
// of the recipients whose segment was recorded as submitted (or final).
func (r *serviceRig) states(id string) (map[store.JobState]int, map[string]bool) {
	r.t.Helper()
	req, err := r.st.GetRequest(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	by := map[store.JobState]int{}
	sent := map[string]bool{}
	for _, rc := range req.Recipients {
		st := rc.Segments[0].State
		by[st]++
		if st == store.JobSubmitted || st.Final() {
			sent[rc.Number] = true
		}
	}
	return by, sent
}

func (r *serviceRig) delivered(id string) bool {
	req, err := r.st.GetRequest(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return req.Status == store.RequestDelivered
}

// received counts the SUBMITs the simulator accepted per recipient.
func (r *serviceRig) received() map[string]int {
	n := map[string]int{}
	for _, g := range r.sim.Received() {
		if g.Result == 0 {
			n[g.Dest]++
		}
	}
	return n
}

// checkDuplicates fails when more than dupBound recipients got their
// SUBMIT more than once, or n recipients were not all sent.
func (r *serviceRig) checkSentOnce(n int) {
	r.t.Helper()
	got := r.received()
	if len(got) != n {
		r.t.Fatalf("simulator received %d distinct recipients, want %d", len(got), n)
	}
	dups := 0
	for _, c := range got {
		dups += c - 1
	}
	if dups > dupBound {
		r.t.Fatalf("%d SUBMITs sent twice, more than window × links = %d", dups, dupBound)
	}
	r.t.Logf("%d recipients, %d sent twice (bound %d)", n, dups, dupBound)
}

// A channel added while the Service runs logs its links in and sends the
// jobs queued for it before it was added.
func TestServiceAddAtRuntime(t *testing.T) {
	r := newServiceRig(t)
	r.enqueue("late", "before-add", 30)
	if ready := r.svc.ChannelsReady(); len(ready) != 0 {
		t.Fatalf("ChannelsReady of an empty service: %v", ready)
	}
	if err := r.svc.Add(context.Background(), r.channel("late", testSecret)); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 10*time.Second, "links logged in", func() bool { return r.sim.Links(testSP) == svcLinks })
	testenv.WaitFor(t, 20*time.Second, "jobs queued before the Add delivered", func() bool { return r.delivered("before-add") })
	if ready := r.svc.ChannelsReady(); !ready["late"] || len(ready) != 1 {
		t.Fatalf("ChannelsReady: %v", ready)
	}
	if r.svc.Channel("late") == nil || !slices.Equal(r.svc.Channels(), []string{"late"}) {
		t.Fatalf("Channel/Channels do not show the added channel: %v", r.svc.Channels())
	}
	if err := r.svc.Add(context.Background(), r.channel("late", testSecret)); err == nil {
		t.Fatal("a second channel of the same name was accepted")
	}
	r.checkSentOnce(30)
}

// A channel removed under load stops like a shutdown: after Remove every
// job is either recorded as submitted (and the simulator got it) or back
// in the queue, none still leased, and the links are gone. Added again,
// the channel sends the rest: every job is sent, none twice beyond the
// bound.
func TestServiceRemoveUnderLoad(t *testing.T) {
	const n = 1000
	r := newServiceRig(t)
	r.sim.SetFaults(ismgsim.Faults{ResponseDelay: 20 * time.Millisecond}) // SUBMITs in flight at the removal
	if err := r.svc.Add(context.Background(), r.channel("busy", testSecret)); err != nil {
		t.Fatal(err)
	}
	r.enqueue("busy", "load", n)
	testenv.WaitFor(t, 20*time.Second, "sending under way", func() bool { return len(r.sim.Received()) > 100 })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.svc.Remove(ctx, "busy"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if r.svc.Channel("busy") != nil || len(r.svc.ChannelsReady()) != 0 {
		t.Fatal("the removed channel is still in the set")
	}
	if err := r.svc.Remove(ctx, "busy"); err == nil {
		t.Fatal("removing it twice succeeded")
	}
	testenv.WaitFor(t, 5*time.Second, "links gone", func() bool { return r.sim.Links(testSP) == 0 })
	if n := series(r.deps.Metrics.LinkState); n != 0 {
		t.Fatalf("%d link state series left after the channel was removed", n)
	}
	by, sent := r.states("load")
	if by[store.JobLeased] != 0 {
		t.Fatalf("after Remove %d jobs are still leased: %v", by[store.JobLeased], by)
	}
	got := r.received()
	for num := range sent {
		if got[num] == 0 {
			t.Fatalf("recipient %s recorded as sent, the simulator never got it", num)
		}
	}
	if len(got) != len(sent) {
		t.Fatalf("simulator got %d recipients, %d recorded as sent: an answered SUBMIT was not stored", len(got), len(sent))
	}
	if by[store.JobQueued]+by[store.JobScheduled]+len(sent) != n || len(sent) == n {
		t.Fatalf("after Remove mid-load: %v, %d sent; want the rest back in the queue", by, len(sent))
	}
	t.Logf("at the removal: %d sent, %v", len(sent), by)

	if err := r.svc.Add(context.Background(), r.channel("busy", testSecret)); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 30*time.Second, "the rest delivered once added again", func() bool { return r.delivered("load") })
	if n := series(r.deps.Metrics.LinkState); n == 0 {
		t.Fatal("no link state series for the channel added again")
	}
	r.checkSentOnce(n)
}

// Replace under load with a new secret (the simulator's account changed
// first, so the old links could not log in again): the old channel
// drains completely before the new one sends a SUBMIT, the old links are
// gone, and every job is sent once, but for at most the bound.
func TestServiceReplaceWithNewSecretUnderLoad(t *testing.T) {
	const n = 1000
	r := newServiceRig(t)
	r.sim.SetFaults(ismgsim.Faults{ResponseDelay: 20 * time.Millisecond})
	old := r.channel("acct", testSecret)
	if err := r.svc.Add(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	r.enqueue("acct", "load", n)
	oldLinks := map[uint64]bool{}
	testenv.WaitFor(t, 20*time.Second, "both old links sending", func() bool {
		for _, g := range r.sim.Received() {
			oldLinks[g.LinkID] = true
		}
		return len(oldLinks) == svcLinks && len(r.sim.Received()) > 100
	})

	const newSecret = "777777"
	if err := r.sim.UpdateAccount(ismgsim.Account{SPID: testSP, Secret: newSecret}); err != nil {
		t.Fatal(err)
	}
	next := r.channel("acct", newSecret)
	if old.Settings().Equal(next.Settings()) {
		t.Fatal("settings with another secret compare equal")
	}
	if !old.Settings().Equal(r.channel("acct", testSecret).Settings()) {
		t.Fatal("the same settings compare unequal")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.svc.Replace(ctx, next); err != nil {
		t.Fatalf("Replace: %v", err)
	}
	if r.svc.Channel("acct") != next {
		t.Fatal("Channel does not return the new channel")
	}
	testenv.WaitFor(t, 30*time.Second, "all delivered after the Replace", func() bool { return r.delivered("load") })
	testenv.WaitFor(t, 5*time.Second, "the new links logged in", func() bool { return r.sim.Links(testSP) == svcLinks })

	var lastOld, firstNew time.Time
	newLinks := map[uint64]bool{}
	for _, g := range r.sim.Received() {
		if oldLinks[g.LinkID] {
			lastOld = g.At
			continue
		}
		newLinks[g.LinkID] = true
		if firstNew.IsZero() {
			firstNew = g.At
		}
	}
	if len(newLinks) == 0 || firstNew.Before(lastOld) {
		t.Fatalf("new links %v: first new SUBMIT %v, last old one %v: both channels sent at once", newLinks, firstNew, lastOld)
	}
	r.checkSentOnce(n)
}

// Replace and Remove of an unknown channel fail; a Channel runs once.
func TestServiceRefusals(t *testing.T) {
	r := newServiceRig(t)
	c := r.channel("one", testSecret)
	if err := r.svc.Replace(context.Background(), c); err == nil {
		t.Fatal("Replace of a channel not in the set succeeded")
	}
	if err := r.svc.Remove(context.Background(), "one"); err == nil {
		t.Fatal("Remove of a channel not in the set succeeded")
	}
	if err := r.svc.Add(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Remove(context.Background(), "one"); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Add(context.Background(), c); err == nil {
		t.Fatal("a Channel that already ran was accepted again")
	}
}

// The set may be changed from several goroutines while others read it
// (run with -race): channels added, replaced twice and removed in
// parallel, readers polling throughout; every change is applied.
func TestServiceConcurrentUse(t *testing.T) {
	r := newServiceRig(t)
	stop := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = r.svc.ChannelsReady()
			_ = r.svc.Channels()
			if c := r.svc.Channel("c0"); c != nil {
				_ = c.Settings()
			}
			_, _ = r.svc.Cancel(context.Background(), "c1", nil)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var changers sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 3 {
		name := fmt.Sprintf("c%d", i)
		first, second, third := r.channel(name, testSecret), r.channel(name, testSecret), r.channel(name, testSecret)
		changers.Go(func() {
			errs <- r.svc.Add(ctx, first)
			errs <- r.svc.Replace(ctx, second)
			errs <- r.svc.Replace(ctx, third)
			errs <- r.svc.Remove(ctx, name)
		})
	}
	changers.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := r.svc.Channels(); len(got) != 0 {
		t.Fatalf("channels left after every one was removed: %v", got)
	}
	testenv.WaitFor(t, 5*time.Second, "every link gone", func() bool { return r.sim.Links(testSP) == 0 })
}

// series counts the series a collector has.
func series(c prometheus.Collector) int {
	ch := make(chan prometheus.Metric, 4096)
	c.Collect(ch)
	close(ch)
	return len(ch)
}

// Settings.Equal compares settings once defaults are filled, ignoring
// what carries no setting of the account (logger, handler).
func TestSettingsEqual(t *testing.T) {
	a := Settings{Name: "x", Link: cmpp.LinkConfig{Addr: "127.0.0.1:1", SPID: testSP, Secret: testSecret}}
	b := a
	b.Links, b.DrainTimeout = 2, 10*time.Second // the defaults, spelt out
	b.Link.Logger = zerolog.New(zerolog.NewTestWriter(t))
	if !a.Equal(b) {
		t.Fatal("settings differing only by defaults spelt out and the logger are unequal")
	}
	for name, change := range map[string]func(*Settings){
		"secret":    func(s *Settings) { s.Link.Secret = "other" },
		"links":     func(s *Settings) { s.Links = 3 },
		"rate":      func(s *Settings) { s.MaxSubmitsPerSec = 10 },
		"service":   func(s *Settings) { s.ServiceID = "OTHER" },
		"transmits": func(s *Settings) { s.Link.Transmissions = 5 },
	} {
		c := a
		change(&c)
		if a.Equal(c) {
			t.Errorf("a change of %s compares equal", name)
		}
	}
}
