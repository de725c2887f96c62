package sender

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp/ismgsim"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// BeginReplace returns while the old channel still drains; once
// BeginShutdown is called, the new channel never starts, though the old
// drain goes on to the end (the SUBMIT in flight is answered and stored).
func TestServiceBeginShutdownDuringReplace(t *testing.T) {
	r := newServiceRig(t)
	if err := r.svc.Add(context.Background(), r.channel("acct", testSecret)); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, 10*time.Second, "links logged in", func() bool { return r.sim.Links(testSP) == svcLinks })
	r.sim.SetFaults(ismgsim.Faults{ResponseDelay: 1500 * time.Millisecond})
	r.enqueue("acct", "held", 1)
	testenv.WaitFor(t, 10*time.Second, "SUBMIT in flight", func() bool { return len(r.sim.Received()) == 1 })

	// The replacement points at a listener that counts connections: it
	// shows whether the new channel ever started.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int64
	accepting := make(chan struct{})
	go func() {
		defer close(accepting)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-accepting })
	set := r.channel("acct", testSecret).Settings()
	set.Link.Addr = ln.Addr().String()
	next, err := NewChannel(set, r.deps)
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.svc.BeginReplace(next)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-st.Done():
		t.Fatal("the old channel stopped before its SUBMIT in flight was answered")
	default:
	}
	if r.svc.Channel("acct") != next {
		t.Fatal("Channel does not return the replacement")
	}
	r.svc.BeginShutdown()
	if err := r.svc.Add(context.Background(), r.channel("late", testSecret)); err == nil {
		t.Fatal("Add after BeginShutdown succeeded")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := st.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if by, sent := r.states("held"); len(sent) != 1 {
		t.Fatalf("held segment after the drain: %v, want its answer stored", by)
	}
	testenv.WaitFor(t, 5*time.Second, "no channel instance left", func() bool {
		r.svc.mu.Lock()
		defer r.svc.mu.Unlock()
		return len(r.svc.live) == 0
	})
	if n := conns.Load(); n != 0 {
		t.Fatalf("the replacement connected %d times after BeginShutdown", n)
	}
	if r.svc.ChannelsReady()["acct"] {
		t.Fatal("the replacement is ready after BeginShutdown")
	}
}
