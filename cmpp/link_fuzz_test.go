package cmpp_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// FuzzLinkInput feeds arbitrary bytes from the ISMG side of a logged-in
// link (real loopback TCP) while one SUBMIT is in flight. Whatever arrives,
// the link must not panic, the SUBMIT must end, and after the peer hangs
// up the link must be down with ErrLinkClosed and its goroutines gone.
func FuzzLinkInput(f *testing.F) {
	enc := func(v cmpp.Version, seq uint32, p cmpp.PDU) []byte {
		b, err := cmpp.Append(nil, v, seq, p)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	report := &cmpp.Deliver{MsgID: 1, DestID: "10690123", SrcTerminalID: "13800138000"}
	if err := report.SetReport(&cmpp.Report{MsgID: 7, Stat: "DELIVRD", DestTerminalID: "13800138000"}, false); err != nil {
		f.Fatal(err)
	}
	mo := &cmpp.Deliver{MsgID: 2, DestID: "10690123", SrcTerminalID: "13800138000", MsgContent: []byte("hi")}
	for _, v := range []cmpp.Version{cmpp.V20, cmpp.V30} {
		f.Add(byte(v), enc(v, 2, &cmpp.SubmitResp{MsgID: 7}))
		f.Add(byte(v), append(enc(v, 9, &cmpp.ActiveTest{}), enc(v, 2, &cmpp.SubmitResp{MsgID: 7, Result: 8})...))
		f.Add(byte(v), append(enc(v, 10, report), enc(v, 11, mo)...))
		f.Add(byte(v), enc(v, 12, &cmpp.Terminate{}))
		f.Add(byte(v), enc(v, 2, &cmpp.CancelResp{SuccessID: 1}))
	}
	f.Add(byte(cmpp.V30), []byte{0, 0, 0, 12, 0x80, 0, 0, 8, 0, 0, 0, 1})
	f.Add(byte(cmpp.V30), []byte{0, 0, 0, 13, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0})
	f.Add(byte(cmpp.V20), []byte{0, 0, 0, 4})
	f.Add(byte(cmpp.V20), []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3})

	// One listener for every input: a listener per input exhausts the
	// ephemeral ports with TIME_WAIT sockets when fuzzing.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { ln.Close() })

	f.Fuzz(func(t *testing.T, ver byte, data []byte) {
		v := cmpp.V20
		if ver&1 == 1 {
			v = cmpp.V30
		}
		l, p, err := dialRaw(t, rawLogin{Ask: v, Answer: v, Listener: ln, LinkSetup: func(c *cmpp.LinkConfig) {
			c.DeliverHandler = func(_ context.Context, d *cmpp.Deliver) error {
				if d.RegisteredDelivery == 1 {
					_, err := d.Report()
					return err
				}
				return nil
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		ch := asyncSubmit(context.Background(), l, testSubmit("13800138000"))
		p.readCmd(cmpp.CmdSubmit) // Sequence_Id 2
		_ = p.conn.SetWriteDeadline(time.Now().Add(testWait))
		_, _ = p.conn.Write(data)              // the link may already have hung up
		_ = p.conn.(*net.TCPConn).SetLinger(0) // reset: no TIME_WAIT left behind
		p.conn.Close()
		o := outcome(t, ch)
		var re *cmpp.ResultError
		if o.err != nil && !errors.Is(o.err, cmpp.ErrLinkClosed) && !errors.As(o.err, &re) {
			t.Fatalf("Submit = %v", o.err)
		}
		select {
		case <-l.Done():
		case <-time.After(testWait):
			t.Fatal("link still up after the peer hung up")
		}
		mustLinkClosed(t, l.Err())
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		if err := l.Close(ctx); err != nil {
			t.Fatalf("Close after down: %v", err)
		}
	})
}
