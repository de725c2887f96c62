package cmpp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// A server may answer CONNECT in another version than asked (§11.6): the
// link adopts the layout of the CONNECT_RESP for everything after login.
func TestLinkRawAdoptsAnsweredVersion(t *testing.T) {
	cases := []struct{ ask, answer, want cmpp.Version }{
		{cmpp.V20, cmpp.V30, cmpp.V30}, // 2.0 CONNECT answered with a 33-byte CONNECT_RESP
		{cmpp.V30, cmpp.V20, cmpp.V20}, // 3.0 CONNECT answered with a 30-byte CONNECT_RESP
		{cmpp.V30, cmpp.V21, cmpp.V21},
		{cmpp.V21, cmpp.V21, cmpp.V21},
	}
	for _, c := range cases {
		t.Run("ask"+c.ask.String()+"_answer"+c.answer.String(), func(t *testing.T) {
			l, p, err := dialRaw(t, rawLogin{Ask: c.ask, Answer: c.answer})
			if err != nil {
				t.Fatal(err)
			}
			if l.Version() != c.want {
				t.Fatalf("Version() = %v, want %v", l.Version(), c.want)
			}
			if l.State() != cmpp.StateReady {
				t.Fatalf("State() = %v", l.State())
			}
			ch := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
			h, pdu := p.readCmd(cmpp.CmdSubmit)
			wantLen := 138 + 21 + 4
			if c.want.Is30() {
				wantLen = 163 + 32 + 4
			}
			if int(h.TotalLength) != wantLen {
				t.Fatalf("SUBMIT Total_Length %d, want %d (layout %v)", h.TotalLength, wantLen, c.want)
			}
			if got := pdu.(*cmpp.Submit).DestTerminalIDs; len(got) != 1 || got[0] != "13800138000" {
				t.Fatalf("SUBMIT Dest_terminal_Id %q", got)
			}
			p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: 42, Result: 0})
			o := outcome(t, ch)
			if o.err != nil || o.resp.MsgID != 42 {
				t.Fatalf("Submit = %+v, %v", o.resp, o.err)
			}
		})
	}
}

// A wrong AuthenticatorISMG is only a warning (§3.2).
func TestLinkRawAuthenticatorISMGMismatchWarns(t *testing.T) {
	ln := newLogCapture(t)
	l, _, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, BadAuth: true, LinkSetup: ln.setup})
	if err != nil {
		t.Fatalf("Dial with a wrong AuthenticatorISMG: %v", err)
	}
	if l.State() != cmpp.StateReady {
		t.Fatalf("State() = %v", l.State())
	}
	if !strings.Contains(ln.buf.String(), "AuthenticatorISMG mismatch") {
		t.Fatalf("no mismatch warning in log:\n%s", ln.buf.String())
	}
	if strings.Contains(ln.buf.String(), rawSecret) {
		t.Fatal("secret logged")
	}
}

// logCapture gives a test access to the link's log.
type logCapture struct{ buf *testenv.LogBuffer }

func newLogCapture(t *testing.T) *logCapture {
	_, buf := testLogger(t)
	return &logCapture{buf: buf}
}

func (c *logCapture) setup(cfg *cmpp.LinkConfig) {
	cfg.Logger = cfg.Logger.Output(c.buf)
}

// An ACTIVE_TEST arriving where a SUBMIT_RESP was expected is answered at
// once with the ACTIVE_TEST's Sequence_Id, and the SUBMIT still completes.
func TestLinkRawActiveTestInPlaceOfResponse(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		l, p, err := dialRaw(t, rawLogin{Ask: v, Answer: v})
		if err != nil {
			t.Fatal(err)
		}
		ch := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
		h, _ := p.readCmd(cmpp.CmdSubmit)
		p.write(7777, &cmpp.ActiveTest{})
		ah, apdu := p.readCmd(cmpp.CmdActiveTestResp)
		if ah.SequenceID != 7777 || ah.TotalLength != 13 || apdu.(*cmpp.ActiveTestResp).Reserved != 0 {
			t.Fatalf("ACTIVE_TEST_RESP %+v %+v", ah, apdu)
		}
		p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: 9, Result: 0})
		if o := outcome(t, ch); o.err != nil || o.resp.MsgID != 9 {
			t.Fatalf("Submit = %+v, %v", o.resp, o.err)
		}
		if s := l.Stats(); s.ActiveTestsReceived != 1 || s.Responses != 1 {
			t.Fatalf("Stats %+v", s)
		}
	})
}

// A malformed frame takes the link down: every pending call fails at once
// with ErrLinkClosed, nothing panics, Err names the cause.
func TestLinkRawMalformedFrameFailsPending(t *testing.T) {
	frames := map[string][]byte{
		// Total_Length 5 < 12: framing cannot continue.
		"short_length": {0, 0, 0, 5, 0x80, 0, 0, 4, 0, 0, 0, 1},
		// A SUBMIT_RESP whose body fits neither layout (15 bytes).
		"bad_submit_resp": append([]byte{0, 0, 0, 27, 0x80, 0, 0, 4, 0, 0, 0, 1}, make([]byte, 15)...),
		// Total_Length far above the cap.
		"huge_length": {0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 4},
	}
	for name, frame := range frames {
		t.Run(name, func(t *testing.T) {
			l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30})
			if err != nil {
				t.Fatal(err)
			}
			var chans []<-chan submitOutcome
			for range 3 {
				chans = append(chans, asyncSubmit(context.Background(), l, testSubmit("13800138000")))
			}
			for range 3 {
				p.readCmd(cmpp.CmdSubmit)
			}
			p.writeRaw(frame)
			for _, ch := range chans {
				mustLinkClosed(t, outcome(t, ch).err)
			}
			select {
			case <-l.Done():
			case <-time.After(testWait):
				t.Fatal("Done not closed")
			}
			if l.State() != cmpp.StateClosed || !errors.Is(l.Err(), cmpp.ErrLinkClosed) {
				t.Fatalf("State %v Err %v", l.State(), l.Err())
			}
			// Later calls fail at once too.
			_, err = l.Submit(context.Background(), testSubmit("13800138000"))
			mustLinkClosed(t, err)
		})
	}
}

// TERMINATE from the peer is answered with TERMINATE_RESP, then the link
// closes and pending calls fail with ErrLinkClosed.
func TestLinkRawPeerTerminate(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		l, p, err := dialRaw(t, rawLogin{Ask: v, Answer: v})
		if err != nil {
			t.Fatal(err)
		}
		ch := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
		p.readCmd(cmpp.CmdSubmit)
		p.write(55, &cmpp.Terminate{})
		h, _ := p.readCmd(cmpp.CmdTerminateResp)
		if h.SequenceID != 55 {
			t.Fatalf("TERMINATE_RESP Sequence_Id %d", h.SequenceID)
		}
		o := outcome(t, ch)
		mustLinkClosed(t, o.err)
		if !errors.Is(o.err, cmpp.ErrPeerTerminated) {
			t.Fatalf("err %v does not wrap ErrPeerTerminated", o.err)
		}
		<-l.Done()
	})
}

// A timed-out request is resent with identical bytes and the same
// Sequence_Id; a late answer to the resend still completes it.
func TestLinkRawRetransmitSameSequence(t *testing.T) {
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, LinkSetup: func(c *cmpp.LinkConfig) {
		c.ResponseTimeout = 50 * time.Millisecond
		c.Transmissions = 3
	}})
	if err != nil {
		t.Fatal(err)
	}
	ch := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
	h1, s1 := p.readCmd(cmpp.CmdSubmit)
	h2, s2 := p.readCmd(cmpp.CmdSubmit)
	if h1 != h2 || s1.(*cmpp.Submit).DestTerminalIDs[0] != s2.(*cmpp.Submit).DestTerminalIDs[0] {
		t.Fatalf("resend differs: %+v vs %+v", h1, h2)
	}
	p.write(h2.SequenceID, &cmpp.SubmitResp{MsgID: 5})
	if o := outcome(t, ch); o.err != nil || o.resp.MsgID != 5 {
		t.Fatalf("Submit = %+v, %v", o.resp, o.err)
	}
	// The duplicate answer to the first copy matches nothing now.
	p.write(h1.SequenceID, &cmpp.SubmitResp{MsgID: 5})
	eventually(t, "late response counted", func() bool { return l.Stats().LateResps == 1 })
	if s := l.Stats(); s.Retransmits != 1 || s.InFlight != 0 {
		t.Fatalf("Stats %+v", s)
	}
}

// DELIVER_RESP goes out only after the handler returned nil, with the
// DELIVER header's Msg_Id and Sequence_Id; while the handler runs, the read
// loop still answers ACTIVE_TEST. A handler error sends nothing, so the
// peer's resend is handled again.
func TestLinkRawDeliverRespAfterHandler(t *testing.T) {
	versions(t, func(t *testing.T, v cmpp.Version) {
		release := make(chan error)
		seen := make(chan *cmpp.Deliver, 4)
		handler := func(ctx context.Context, d *cmpp.Deliver) error {
			seen <- d
			select {
			case err := <-release:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		l, p, err := dialRaw(t, rawLogin{Ask: v, Answer: v, LinkSetup: func(c *cmpp.LinkConfig) {
			c.DeliverHandler = handler
		}})
		if err != nil {
			t.Fatal(err)
		}
		mo := &cmpp.Deliver{MsgID: 0xabc, DestID: "10690123", ServiceID: "TEST", MsgFmt: 8,
			SrcTerminalID: "13800138000", MsgContent: []byte{0x4f, 0x60}}
		p.write(31, mo)
		d := <-seen
		if d.MsgID != 0xabc || d.SrcTerminalID != "13800138000" {
			t.Fatalf("handler got %+v", d)
		}
		// The handler is blocked; the read loop is not.
		p.write(32, &cmpp.ActiveTest{})
		p.readCmd(cmpp.CmdActiveTestResp)
		// Handler error: no DELIVER_RESP. The peer resends.
		release <- errors.New("store unavailable")
		eventually(t, "handler error counted", func() bool { return l.Stats().DeliverErrors == 1 })
		p.write(31, mo)
		<-seen
		// Probe again: the next frame must be the ACTIVE_TEST_RESP, proving
		// no DELIVER_RESP was sent for the failed attempt.
		p.write(33, &cmpp.ActiveTest{})
		if h, _ := p.read(); h.CommandID != cmpp.CmdActiveTestResp || h.SequenceID != 33 {
			t.Fatalf("got %s seq %d, want ACTIVE_TEST_RESP 33", h.CommandID, h.SequenceID)
		}
		release <- nil
		h, pdu := p.readCmd(cmpp.CmdDeliverResp)
		r := pdu.(*cmpp.DeliverResp)
		if h.SequenceID != 31 || r.MsgID != 0xabc || r.Result != 0 {
			t.Fatalf("DELIVER_RESP %+v %+v", h, r)
		}
		wantLen := uint32(21)
		if v.Is30() {
			wantLen = 24
		}
		if h.TotalLength != wantLen {
			t.Fatalf("DELIVER_RESP Total_Length %d, want %d", h.TotalLength, wantLen)
		}
		if s := l.Stats(); s.DeliversReceived != 2 || s.DeliversHandled != 1 || s.DeliverErrors != 1 {
			t.Fatalf("Stats %+v", s)
		}
	})
}

// Close waits for the SUBMIT in flight, refuses new requests, then sends
// TERMINATE and returns after TERMINATE_RESP.
func TestLinkRawGracefulClose(t *testing.T) {
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30})
	if err != nil {
		t.Fatal(err)
	}
	ch := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
	h, _ := p.readCmd(cmpp.CmdSubmit)
	closed := make(chan error, 1)
	go func() { closed <- l.Close(context.Background()) }()
	eventually(t, "state closing", func() bool { return l.State() == cmpp.StateClosing })
	_, err = l.Submit(context.Background(), testSubmit("13800138000"))
	if !errors.Is(err, cmpp.ErrLinkClosing) || !errors.Is(err, cmpp.ErrLinkClosed) {
		t.Fatalf("Submit while closing: %v", err)
	}
	// Answer the in-flight SUBMIT only now: the next frame must be TERMINATE.
	p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: 77})
	if o := outcome(t, ch); o.err != nil || o.resp.MsgID != 77 {
		t.Fatalf("in-flight Submit = %+v, %v", o.resp, o.err)
	}
	th, _ := p.readCmd(cmpp.CmdTerminate)
	if th.SequenceID <= h.SequenceID {
		t.Fatalf("TERMINATE Sequence_Id %d not after %d", th.SequenceID, h.SequenceID)
	}
	p.write(th.SequenceID, &cmpp.TerminateResp{})
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(testWait):
		t.Fatal("Close did not return")
	}
	if l.State() != cmpp.StateClosed || !errors.Is(l.Err(), cmpp.ErrClosedByUser) {
		t.Fatalf("State %v Err %v", l.State(), l.Err())
	}
}

// Close with a ctx that ends before the in-flight request is answered
// closes at once and fails the pending call.
func TestLinkRawCloseDeadline(t *testing.T) {
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V20, Answer: cmpp.V20})
	if err != nil {
		t.Fatal(err)
	}
	ch := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
	p.readCmd(cmpp.CmdSubmit)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := l.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close = %v, want DeadlineExceeded", err)
	}
	mustLinkClosed(t, outcome(t, ch).err)
}

// Encoding errors are returned without sending or taking a slot.
func TestLinkRawEncodeError(t *testing.T) {
	l, _, err := dialRaw(t, rawLogin{Ask: cmpp.V20, Answer: cmpp.V20})
	if err != nil {
		t.Fatal(err)
	}
	s := testSubmit(strings.Repeat("1", 30)) // over the 21-byte 2.0 field
	if _, err := l.Submit(context.Background(), s); !errors.Is(err, cmpp.ErrValueTooLong) {
		t.Fatalf("Submit = %v, want ErrValueTooLong", err)
	}
	if st := l.Stats(); st.InFlight != 0 || st.Requests != 0 || st.FramesWritten != 0 {
		t.Fatalf("Stats %+v", st)
	}
}

// A CONNECT_RESP with Status≠0 is a typed *ConnectError.
func TestLinkRawConnectStatus(t *testing.T) {
	for _, c := range []struct {
		status   uint32
		sentinel error
	}{{2, cmpp.ErrUnknownAccount}, {3, cmpp.ErrAuth}, {4, cmpp.ErrVersionTooHigh}, {9, nil}} {
		_, _, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, Status: c.status})
		var ce *cmpp.ConnectError
		if !errors.As(err, &ce) || ce.Status != c.status {
			t.Fatalf("status %d: err %v", c.status, err)
		}
		if c.sentinel != nil && !errors.Is(err, c.sentinel) {
			t.Fatalf("status %d: %v is not %v", c.status, err, c.sentinel)
		}
	}
}

// The raw peer can check the wire Sequence_Id patching directly.
func TestLinkRawSequenceIDs(t *testing.T) {
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30})
	if err != nil {
		t.Fatal(err)
	}
	var last uint32 = 1 // CONNECT used 1
	for i := range 3 {
		ch := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
		h, _ := p.readCmd(cmpp.CmdSubmit)
		if h.SequenceID != last+1 {
			t.Fatalf("SUBMIT %d Sequence_Id %d, want %d", i, h.SequenceID, last+1)
		}
		last = h.SequenceID
		p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: cmpp.MsgID(i)})
		if o := outcome(t, ch); o.err != nil || o.resp.MsgID != cmpp.MsgID(i) {
			t.Fatalf("Submit = %+v, %v", o.resp, o.err)
		}
	}
}

// A caller whose ctx ends after its SUBMIT went out gets ctx.Err() at
// once, but the request keeps its window slot until its response.
func TestLinkRawCallerCancelKeepsSlot(t *testing.T) {
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, LinkSetup: func(c *cmpp.LinkConfig) {
		c.Window = 1
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := asyncSubmit(ctx, l, testSubmit("13800138000"))
	h, _ := p.readCmd(cmpp.CmdSubmit)
	cancel()
	if o := outcome(t, ch); !errors.Is(o.err, context.Canceled) {
		t.Fatalf("Submit = %v, want context.Canceled", o.err)
	}
	if st := l.Stats(); st.InFlight != 1 {
		t.Fatalf("InFlight %d after cancel, want 1", st.InFlight)
	}
	// The window (1) is full: a second call waits until the ISMG answers
	// the first.
	ch2 := asyncSubmit(context.Background(), l, testSubmit("13800138001"))
	p.write(h.SequenceID, &cmpp.SubmitResp{MsgID: 1})
	h2, pdu := p.readCmd(cmpp.CmdSubmit)
	if pdu.(*cmpp.Submit).DestTerminalIDs[0] != "13800138001" {
		t.Fatalf("second SUBMIT %+v", pdu)
	}
	p.write(h2.SequenceID, &cmpp.SubmitResp{MsgID: 2})
	if o := outcome(t, ch2); o.err != nil || o.resp.MsgID != 2 {
		t.Fatalf("second Submit = %+v, %v", o.resp, o.err)
	}
	// A caller waiting for a slot gives up with its ctx.
	ch3 := asyncSubmit(context.Background(), l, testSubmit("13800138002"))
	p.readCmd(cmpp.CmdSubmit)
	ctx4, cancel4 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel4()
	if _, err := l.Submit(ctx4, testSubmit("13800138003")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Submit waiting for a slot = %v", err)
	}
	if st := l.Stats(); st.InFlight != 1 || st.PeakInFlight != 1 {
		t.Fatalf("Stats %+v", st)
	}
	_ = ch3
}

// A peer that floods ACTIVE_TESTs and never reads fills the socket
// buffers; the link's write deadline (ResponseTimeout) takes it down
// instead of blocking forever.
func TestLinkRawPeerStopsReading(t *testing.T) {
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, LinkSetup: func(c *cmpp.LinkConfig) {
		c.ResponseTimeout = 200 * time.Millisecond
	}})
	if err != nil {
		t.Fatal(err)
	}
	var batch []byte
	for i := range 4096 {
		b, _ := cmpp.Append(nil, cmpp.V30, uint32(i+1), &cmpp.ActiveTest{})
		batch = append(batch, b...)
	}
	flooded := make(chan struct{})
	go func() {
		defer close(flooded)
		for {
			_ = p.conn.SetWriteDeadline(time.Now().Add(testWait))
			if _, err := p.conn.Write(batch); err != nil {
				return // the link hung up (or our deadline passed)
			}
		}
	}()
	select {
	case <-l.Done():
	case <-time.After(testWait):
		t.Fatal("link still up with a peer that does not read")
	}
	mustLinkClosed(t, l.Err())
	if !strings.Contains(l.Err().Error(), "write") {
		t.Fatalf("Err %v, want a write error", l.Err())
	}
	p.conn.Close()
	<-flooded
}

// A panicking DeliverHandler is recovered: no DELIVER_RESP, link up.
func TestLinkRawDeliverHandlerPanic(t *testing.T) {
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V20, Answer: cmpp.V20, LinkSetup: func(c *cmpp.LinkConfig) {
		c.DeliverHandler = func(context.Context, *cmpp.Deliver) error { panic("handler bug") }
	}})
	if err != nil {
		t.Fatal(err)
	}
	p.write(40, &cmpp.Deliver{MsgID: 1, DestID: "10690123", SrcTerminalID: "13800138000", MsgContent: []byte("x")})
	eventually(t, "handler failure counted", func() bool { return l.Stats().DeliverErrors == 1 })
	p.write(41, &cmpp.ActiveTest{})
	if h, _ := p.read(); h.CommandID != cmpp.CmdActiveTestResp || h.SequenceID != 41 {
		t.Fatalf("got %s seq %d, want ACTIVE_TEST_RESP 41 (no DELIVER_RESP)", h.CommandID, h.SequenceID)
	}
	if l.State() != cmpp.StateReady {
		t.Fatalf("State %v", l.State())
	}
}
