package sender

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/metrics"
	"github.com/smsbridge/smsbridge/internal/testenv"
	"github.com/smsbridge/smsbridge/internal/wake"
	"github.com/smsbridge/smsbridge/store"
)

// slotReplica is one "replica" of a channel with a cluster link limit: its
// own Service, Owner and metrics, sharing the store and simulator.
type slotReplica struct {
	ch   *Channel
	svc  *Service
	m    *metrics.Metrics
	hub  *wake.Hub
	stop context.CancelFunc
	done chan struct{}
}

// startSlotReplica runs a replica of channel "cm" (links links, max_links
// maxLinks, a short slot lease) on r's store and simulator.
func (r *serviceRig) startSlotReplica(owner string, links, maxLinks int) *slotReplica {
	r.t.Helper()
	rep := &slotReplica{m: metrics.New(), hub: wake.New(), done: make(chan struct{})}
	rep.hub.Add("cm")
	deps := r.deps
	deps.Owner, deps.Metrics, deps.Wake = owner, rep.m, rep.hub
	deps.Logger = deps.Logger.With().Str("replica", owner).Logger()
	c, err := NewChannel(Settings{
		Name: "cm",
		Link: cmpp.LinkConfig{
			Addr: r.sim.Addr(), SPID: testSP, Secret: testSecret, Version: cmpp.V30,
			Window: svcWindow, ResponseTimeout: 5 * time.Second, IdleInterval: 5 * time.Second,
		},
		Links: links, MaxLinks: maxLinks, SlotLease: 900 * time.Millisecond,
		SrcID: testSrc, ServiceID: "TEST", FeeType: "01", FeeCode: "000000", FeeUserType: 2,
		MaxSubmitsPerSec:    400,
		ReconnectBackoff:    20 * time.Millisecond,
		ReconnectMaxBackoff: 200 * time.Millisecond,
	}, deps)
	if err != nil {
		r.t.Fatal(err)
	}
	rep.ch = c
	if rep.svc, err = NewService(c); err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rep.stop = cancel
	go func() { defer close(rep.done); _ = rep.svc.Run(ctx) }()
	r.t.Cleanup(func() { cancel(); <-rep.done })
	return rep
}

func (rep *slotReplica) held() int {
	return int(metricValue(rep.m.LinkSlotsHeld.WithLabelValues("cm")))
}

// event reads the replica's count of link slot event ev.
func (rep *slotReplica) event(ev string) float64 {
	return metricValue(rep.m.LinkSlotEvents.WithLabelValues("cm", ev))
}

// metricValue reads a gauge or counter (0 when unreadable).
func metricValue(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	if m.Gauge != nil {
		return m.GetGauge().GetValue()
	}
	return m.GetCounter().GetValue()
}

func (rep *slotReplica) ready() int { return int(rep.ch.ready.Load()) }

// TestLinkSlotsAcrossReplicas: replicas of a channel with max_links 4 and
// 3 links each never log in more than 4 links together; a joining replica
// gets its fair share from the others; a stopping one gives its slots
// back at once; traffic is sent once, nothing lost.
func TestLinkSlotsAcrossReplicas(t *testing.T) {
	r := newServiceRig(t)
	links := func() int { return r.sim.Counts()[testSP].Links }

	a := r.startSlotReplica("a", 3, 4)
	testenv.WaitFor(t, 20*time.Second, "a alone logs in its 3 links", func() bool {
		return a.ready() == 3 && a.held() == 3 && links() == 3
	})

	const n = 600
	r.hub.Add("cm")
	r.enqueue("cm", "r1", n)
	a.hub.JobsQueued("cm")
	b := r.startSlotReplica("b", 3, 4)
	testenv.WaitFor(t, 20*time.Second, "a and b share 4 slots 2:2", func() bool {
		return a.held() == 2 && b.held() == 2 && a.ready() == 2 && b.ready() == 2 && links() == 4
	})
	if g := a.event("given_back"); g != 1 {
		t.Fatalf("a gave back %v slots, want 1", g)
	}
	c := r.startSlotReplica("c", 3, 4)
	testenv.WaitFor(t, 20*time.Second, "a, b, c share 4 slots 2:1:1", func() bool {
		return a.held() == 2 && b.held() == 1 && c.held() == 1 && links() == 4
	})
	b.hub.JobsQueued("cm")
	c.hub.JobsQueued("cm")
	testenv.WaitFor(t, 60*time.Second, "every segment delivered", func() bool { return r.delivered("r1") })

	// b stops: its slot is given back at once (no lease to wait for);
	// a and c share 4 slots 2:2.
	b.stop()
	<-b.done
	testenv.WaitFor(t, 20*time.Second, "a and c share 4 slots 2:2", func() bool {
		return a.held() == 2 && c.held() == 2 && links() == 4
	})
	r.checkSentOnce(n)
	if p := r.sim.Counts()[testSP].PeakLinks; p > 4 {
		t.Fatalf("simulator saw %d links logged in at once, max_links 4", p)
	}
}

// TestLinkSlotLost: a replica whose slot leases are gone from Redis (as
// after a pause longer than the lease) closes those links and takes slots
// again; a replica that gets no slot sends nothing and says so.
func TestLinkSlotLost(t *testing.T) {
	r := newServiceRig(t)
	links := func() int { return r.sim.Counts()[testSP].Links }
	a := r.startSlotReplica("a", 2, 1)
	testenv.WaitFor(t, 20*time.Second, "a logs in its 1 allowed link", func() bool {
		return a.ready() == 1 && links() == 1
	})
	if a.ch.NoLinkSlot() {
		t.Fatal("a holds a slot but reports no_link_slot")
	}
	b := r.startSlotReplica("b", 2, 1)
	testenv.WaitFor(t, 20*time.Second, "b refused a slot", func() bool {
		return b.event("refused") > 0
	})
	if !b.ch.NoLinkSlot() || b.svc.ChannelsDetail()["cm"] != DetailNoLinkSlot {
		t.Fatalf("b without a slot: NoLinkSlot %v, detail %v", b.ch.NoLinkSlot(), b.svc.ChannelsDetail())
	}
	if links() != 1 {
		t.Fatalf("%d links logged in, max_links 1", links())
	}

	// The slots vanish (their leases passed): the holder closes its link
	// at its next renewal, and one replica logs in again.
	key := store.Keys{Prefix: r.st.Options().Prefix}.LinkSlots("ch:cm")
	if err := r.env.Client.Del(context.Background(), key).Err(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 20*time.Second, "the lost slot's link closed and a link back", func() bool {
		lost := a.event("lost")
		return lost == 1 && links() == 1 && a.ready()+b.ready() == 1
	})
	r.enqueue("cm", "r2", 50)
	a.hub.JobsQueued("cm")
	b.hub.JobsQueued("cm")
	testenv.WaitFor(t, 30*time.Second, "delivered by the holder", func() bool { return r.delivered("r2") })
	if p := r.sim.Counts()[testSP].PeakLinks; p > 2 {
		// The deleted key let the other replica in while the holder was
		// still closing: at most one extra link, never more.
		t.Fatalf("peak %d links", p)
	}
}
