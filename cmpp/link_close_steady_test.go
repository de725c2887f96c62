package cmpp_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// On a link with steady status reports Close does not wait for DELIVERs
// that arrive after it began waiting: it answers those in hand and sends
// TERMINATE promptly, not after ResponseTimeout.
func TestLinkRawCloseWithSteadyDelivers(t *testing.T) {
	const (
		respTimeout = 5 * time.Second
		bound       = time.Second // TERMINATE after Close, well under respTimeout
	)
	l, p, err := dialRaw(t, rawLogin{Ask: cmpp.V30, Answer: cmpp.V30, LinkSetup: func(c *cmpp.LinkConfig) {
		c.ResponseTimeout = respTimeout
		c.DeliverHandler = func(ctx context.Context, _ *cmpp.Deliver) error {
			work := time.NewTimer(10 * time.Millisecond) // the handler's work, e.g. storing the report
			defer work.Stop()
			select {
			case <-work.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}

	// The peer sends a DELIVER every 2 ms until stop.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var sendErr error
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for seq := uint32(100); ; seq++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			frame, err := cmpp.Append(nil, p.v, seq, &cmpp.Deliver{MsgID: cmpp.MsgID(seq), DestID: "10690123",
				SrcTerminalID: "13800138000", MsgContent: []byte("x")})
			if err == nil {
				_ = p.conn.SetWriteDeadline(time.Now().Add(testWait))
				_, err = p.conn.Write(frame)
			}
			if err != nil {
				sendErr = err
				return
			}
		}
	})
	stopSending := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(stopSending)

	// Reports are flowing and being answered before Close.
	for answered := 0; answered < 10; {
		if h, _ := p.read(); h.CommandID == cmpp.CmdDeliverResp {
			answered++
		}
	}

	closed := make(chan error, 1)
	start := time.Now()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		closed <- l.Close(ctx)
	}()
	var th cmpp.Header
	for {
		h, _ := p.read()
		if h.CommandID == cmpp.CmdTerminate {
			th = h
			break
		}
		if h.CommandID != cmpp.CmdDeliverResp {
			t.Fatalf("peer got %s while closing, want DELIVER_RESP or TERMINATE", h.CommandID)
		}
	}
	if waited := time.Since(start); waited > bound {
		t.Fatalf("TERMINATE %v after Close began, want within %v (ResponseTimeout %v): Close waited for DELIVERs that kept arriving",
			waited, bound, respTimeout)
	}
	stopSending()
	if sendErr != nil {
		t.Fatalf("peer sending DELIVERs: %v", sendErr)
	}
	p.write(th.SequenceID, &cmpp.TerminateResp{})
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s := l.Stats(); s.DeliversHandled < 10 {
		t.Fatalf("Stats: %d DELIVERs handled, want at least the 10 answered before Close", s.DeliversHandled)
	}
}
