package cmpp_test

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// submitResps encodes one SUBMIT_RESP per Sequence_Id, back to back, so
// the peer can answer a whole window in one socket write.
func submitResps(t *testing.T, v cmpp.Version, seqs []uint32) []byte {
	t.Helper()
	var b []byte
	for _, seq := range seqs {
		var err error
		if b, err = cmpp.Append(b, v, seq, &cmpp.SubmitResp{MsgID: cmpp.MsgID(seq)}); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// readSubmits reads n SUBMITs and returns their Sequence_Ids.
func (p *rawPeer) readSubmits(n int) []uint32 {
	p.t.Helper()
	seqs := make([]uint32, n)
	for i := range seqs {
		h, _ := p.readCmd(cmpp.CmdSubmit)
		seqs[i] = h.SequenceID
	}
	return seqs
}

// With more callers than slots, the responses to a full window that
// arrive in one read free every slot at once, and the requests that take
// them leave in one socket write: the read loop registers the waiting
// requests itself and wakes the writer once per read, so the refill does
// not depend on how soon the waiting callers' goroutines get to run.
func TestLinkRawFullWindowRefillsInOneWrite(t *testing.T) {
	const window, rounds = 16, 30
	const total = window * (rounds + 1)
	l, p := dialLink(t, cmpp.V30, func(c *cmpp.LinkConfig) {
		c.Window = window
	})
	var next atomic.Int64
	errs := make(chan error, 3*window)
	for range 3 * window {
		go func() {
			var err error
			for err == nil && next.Add(1) <= total {
				_, err = l.Submit(context.Background(), testSubmit("13800138000"))
			}
			errs <- err
		}()
	}
	seqs := p.readSubmits(window)
	for round := range rounds {
		eventually(t, "a window of callers waiting", func() bool { return l.Stats().Waiting >= window })
		before := l.Stats()
		p.writeRaw(submitResps(t, cmpp.V30, seqs)) // one write: one read at the link
		seqs = p.readSubmits(window)
		after := l.Stats()
		if w := after.Flushes - before.Flushes; w != 1 {
			t.Fatalf("round %d: %d socket writes refilled the window, want 1", round, w)
		}
		if after.InFlight != window {
			t.Fatalf("round %d: InFlight %d", round, after.InFlight)
		}
	}
	p.writeRaw(submitResps(t, cmpp.V30, seqs))
	for range 3 * window {
		if err := <-errs; err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	if st := l.Stats(); st.Submitted != total || st.Responses != total || st.PeakInFlight != window || st.Waiting != 0 {
		t.Fatalf("Stats %+v", st)
	}
}

// Calls waiting for a slot when Close begins end at once with
// ErrLinkClosing, without waiting for the requests in flight, and nothing
// of them is sent: the frame after the in-flight SUBMIT is the TERMINATE.
func TestLinkRawWaitingCallsEndAtClose(t *testing.T) {
	l, p := dialLink(t, cmpp.V30, func(c *cmpp.LinkConfig) {
		c.Window = 1
	})
	first := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
	h, _ := p.readCmd(cmpp.CmdSubmit)
	var waiting []<-chan submitOutcome
	for i := range 3 {
		waiting = append(waiting, asyncSubmit(context.Background(), l, testSubmit("1380013800"+strconv.Itoa(i+1))))
	}
	eventually(t, "calls waiting", func() bool { return l.Stats().Waiting == 3 })
	closed := make(chan error, 1)
	go func() { closed <- l.Close(context.Background()) }()
	for _, ch := range waiting {
		if o := outcome(t, ch); !errors.Is(o.err, cmpp.ErrLinkClosing) || !errors.Is(o.err, cmpp.ErrLinkClosed) {
			t.Fatalf("waiting Submit at Close = %v, want ErrLinkClosing", o.err)
		}
	}
	if st := l.Stats(); st.Waiting != 0 || st.InFlight != 1 || st.Submitted != 1 {
		t.Fatalf("Stats %+v", st)
	}
	p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: 5})
	if o := outcome(t, first); o.err != nil || o.resp.MsgID != 5 {
		t.Fatalf("in-flight Submit = %+v, %v", o.resp, o.err)
	}
	th, _ := p.readCmd(cmpp.CmdTerminate) // fails on a SUBMIT of a refused call
	p.write(th.SequenceID, &cmpp.TerminateResp{})
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// Calls waiting for a slot fail with the link when it goes down.
func TestLinkRawWaitingCallsFailWithLink(t *testing.T) {
	l, p := dialLink(t, cmpp.V20, func(c *cmpp.LinkConfig) {
		c.Window = 1
	})
	chs := []<-chan submitOutcome{asyncSubmit(context.Background(), l, testSubmit("13800138000"))}
	p.readCmd(cmpp.CmdSubmit)
	for i := range 2 {
		chs = append(chs, asyncSubmit(context.Background(), l, testSubmit("1380013800"+strconv.Itoa(i+1))))
	}
	eventually(t, "calls waiting", func() bool { return l.Stats().Waiting == 2 })
	p.conn.Close()
	for _, ch := range chs {
		mustLinkClosed(t, outcome(t, ch).err)
	}
	if st := l.Stats(); st.Waiting != 0 || st.InFlight != 0 {
		t.Fatalf("Stats %+v", st)
	}
}

// A waiting call whose ctx ends leaves the queue unsent; the slot freed
// next goes to the call queued after it, and waiting calls are sent in
// arrival order.
func TestLinkRawWaitingCallCancelled(t *testing.T) {
	l, p := dialLink(t, cmpp.V30, func(c *cmpp.LinkConfig) {
		c.Window = 1
	})
	first := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
	h, _ := p.readCmd(cmpp.CmdSubmit)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := asyncSubmit(ctx, l, testSubmit("13800138001"))
	eventually(t, "first call waiting", func() bool { return l.Stats().Waiting == 1 })
	later := make([]<-chan submitOutcome, 3)
	for i := range later {
		later[i] = asyncSubmit(context.Background(), l, testSubmit("1380013801"+strconv.Itoa(i)))
		eventually(t, "call waiting", func() bool { return l.Stats().Waiting == i+2 })
	}
	cancel()
	if o := outcome(t, cancelled); !errors.Is(o.err, context.Canceled) {
		t.Fatalf("cancelled Submit = %v", o.err)
	}
	if st := l.Stats(); st.Waiting != 3 {
		t.Fatalf("Waiting %d after cancel, want 3", st.Waiting)
	}
	p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: 1})
	if o := outcome(t, first); o.err != nil {
		t.Fatalf("first Submit: %v", o.err)
	}
	for i, ch := range later {
		h, pdu := p.readCmd(cmpp.CmdSubmit)
		if got, want := pdu.(*cmpp.Submit).DestTerminalIDs[0], "1380013801"+strconv.Itoa(i); got != want {
			t.Fatalf("SUBMIT %d to %s, want %s (arrival order, cancelled call skipped)", i, got, want)
		}
		p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: cmpp.MsgID(10 + i)})
		if o := outcome(t, ch); o.err != nil || o.resp.MsgID != cmpp.MsgID(10+i) {
			t.Fatalf("Submit %d = %+v, %v", i, o.resp, o.err)
		}
	}
	if st := l.Stats(); st.Submitted != 4 || st.Waiting != 0 || st.InFlight != 0 {
		t.Fatalf("Stats %+v", st)
	}
}

// A request that times out for good frees its slot for the call waiting
// behind it, which is sent at once (the writer's timer admits it).
func TestLinkRawTimeoutAdmitsWaitingCall(t *testing.T) {
	l, p := dialLink(t, cmpp.V30, func(c *cmpp.LinkConfig) {
		c.Window, c.ResponseTimeout, c.Transmissions = 1, time.Second, 1
	})
	first := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
	p.readCmd(cmpp.CmdSubmit) // never answered
	second := asyncSubmit(context.Background(), l, testSubmit("13800138001"))
	eventually(t, "second call waiting", func() bool { return l.Stats().Waiting == 1 })
	if o := outcome(t, first); !errors.Is(o.err, cmpp.ErrResponseTimeout) {
		t.Fatalf("first Submit = %v, want ErrResponseTimeout", o.err)
	}
	h, pdu := p.readCmd(cmpp.CmdSubmit)
	if got := pdu.(*cmpp.Submit).DestTerminalIDs[0]; got != "13800138001" {
		t.Fatalf("SUBMIT to %s after the timeout, want the waiting call's", got)
	}
	p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: 2})
	if o := outcome(t, second); o.err != nil || o.resp.MsgID != 2 {
		t.Fatalf("second Submit = %+v, %v", o.resp, o.err)
	}
}

// dialLink logs a link of version v in to a raw peer, with setup applied
// to its configuration.
func dialLink(t *testing.T, v cmpp.Version, setup func(c *cmpp.LinkConfig)) (*cmpp.Link, *rawPeer) {
	t.Helper()
	l, p, err := dialRaw(t, rawLogin{Ask: v, Answer: v, LinkSetup: setup})
	if err != nil {
		t.Fatal(err)
	}
	return l, p
}
