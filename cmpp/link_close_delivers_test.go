package cmpp_test

import (
	"context"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// Close lets the handler finish a DELIVER already read: its DELIVER_RESP
// goes out before TERMINATE, so the ISMG does not resend it.
func TestLinkRawCloseAnswersDeliversInHand(t *testing.T) {
	release := make(chan struct{})
	seen := make(chan struct{}, 1)
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, LinkSetup: func(c *cmpp.LinkConfig) {
		c.DeliverHandler = func(ctx context.Context, _ *cmpp.Deliver) error {
			seen <- struct{}{}
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	p.write(31, &cmpp.Deliver{MsgID: 0xabc, DestID: "10690123", SrcTerminalID: "13800138000", MsgContent: []byte("x")})
	<-seen
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		closed <- l.Close(ctx)
	}()
	eventually(t, "closing", func() bool { return l.State() == cmpp.StateClosing })
	// While the handler runs nothing but answers goes out: the next frame
	// is the ACTIVE_TEST_RESP, not TERMINATE.
	p.write(32, &cmpp.ActiveTest{})
	if h, _ := p.read(); h.CommandID != cmpp.CmdActiveTestResp {
		t.Fatalf("got %s while the DELIVER is in hand, want ACTIVE_TEST_RESP", h.CommandID)
	}
	close(release)
	if h, _ := p.read(); h.CommandID != cmpp.CmdDeliverResp || h.SequenceID != 31 {
		t.Fatalf("got %s seq %d, want the DELIVER_RESP 31 before TERMINATE", h.CommandID, h.SequenceID)
	}
	th, _ := p.readCmd(cmpp.CmdTerminate)
	p.write(th.SequenceID, &cmpp.TerminateResp{})
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s := l.Stats(); s.DeliversHandled != 1 || s.DeliverErrors != 0 {
		t.Fatalf("Stats: %d handled, %d errors; want 1 and 0", s.DeliversHandled, s.DeliverErrors)
	}
}

// A handler that does not finish holds TERMINATE back at most
// ResponseTimeout (by then the ISMG resends anyway); the DELIVER is then
// left unanswered and its handler's ctx is cancelled.
func TestLinkRawCloseBoundsWaitForDelivers(t *testing.T) {
	const respTimeout = 200 * time.Millisecond
	seen := make(chan struct{}, 1)
	cancelled := make(chan struct{})
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, LinkSetup: func(c *cmpp.LinkConfig) {
		c.ResponseTimeout = respTimeout
		c.DeliverHandler = func(ctx context.Context, _ *cmpp.Deliver) error {
			seen <- struct{}{}
			<-ctx.Done()
			close(cancelled)
			return ctx.Err()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	p.write(31, &cmpp.Deliver{MsgID: 0xabc, DestID: "10690123", SrcTerminalID: "13800138000", MsgContent: []byte("x")})
	<-seen
	closed := make(chan error, 1)
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		closed <- l.Close(ctx)
	}()
	th, _ := p.readCmd(cmpp.CmdTerminate)
	if waited := time.Since(start); waited < respTimeout {
		t.Fatalf("TERMINATE after %v, want it held back ResponseTimeout (%v) for the DELIVER in hand", waited, respTimeout)
	}
	p.write(th.SequenceID, &cmpp.TerminateResp{})
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-cancelled:
	case <-time.After(testWait):
		t.Fatal("handler's ctx not cancelled after Close")
	}
	if s := l.Stats(); s.DeliversHandled != 0 || s.DeliverErrors != 1 {
		t.Fatalf("Stats: %d handled, %d errors; want 0 and 1", s.DeliversHandled, s.DeliverErrors)
	}
}
