package ismgsim

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

const (
	testSPID   = "900001"
	testSecret = "888888"
	ioTimeout  = 5 * time.Second
)

// newTestServer starts a simulator with the test account (plus cfg's
// accounts) and closes it at the end of the test.
func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Accounts == nil {
		cfg.Accounts = []Account{{SPID: testSPID, Secret: testSecret}}
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// rawClient speaks CMPP with the codec only (no cmpp.Link).
type rawClient struct {
	t    testing.TB
	conn net.Conn
	fr   *cmpp.FrameReader
	v    cmpp.Version
	seq  uint32
}

func dialRaw(t testing.TB, addr string, v cmpp.Version) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &rawClient{t: t, conn: conn, fr: cmpp.NewFrameReader(conn, 0), v: v}
}

func (c *rawClient) nextSeq() uint32 {
	c.seq++
	return c.seq
}

// send encodes p with Sequence_Id seq in the client's version.
func (c *rawClient) send(seq uint32, p cmpp.PDU) {
	c.t.Helper()
	b, err := cmpp.Append(nil, c.v, seq, p)
	if err != nil {
		c.t.Fatalf("encode %s: %v", p.CommandID(), err)
	}
	c.sendRaw(b)
}

func (c *rawClient) sendRaw(b []byte) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// recvErr reads and decodes one PDU.
func (c *rawClient) recvErr(timeout time.Duration) (cmpp.Header, cmpp.PDU, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	frame, err := c.fr.ReadFrame()
	if err != nil {
		return cmpp.Header{}, nil, err
	}
	return cmpp.Decode(frame, c.v)
}

// recv reads one PDU or fails the test.
func (c *rawClient) recv() (cmpp.Header, cmpp.PDU) {
	c.t.Helper()
	h, p, err := c.recvErr(ioTimeout)
	if err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	return h, p
}

// recvFrame reads one raw frame (for layout checks).
func (c *rawClient) recvFrame() []byte {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	frame, err := c.fr.ReadFrame()
	if err != nil {
		c.t.Fatalf("recv frame: %v", err)
	}
	return append([]byte(nil), frame...)
}

// expectClosed reads until the server closes the connection.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	for {
		_, _, err := c.recvErr(ioTimeout)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.t.Fatalf("connection still open after %v", ioTimeout)
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, net.ErrClosed) {
			c.t.Logf("connection ended with %v", err)
		}
		return
	}
}

// connect sends a CONNECT for spID/secret, timestamp ts, and returns the
// CONNECT_RESP and its Total_Length.
func (c *rawClient) connect(spID, secret string, v cmpp.Version, ts uint32) (*cmpp.ConnectResp, uint32) {
	c.t.Helper()
	seq := c.nextSeq()
	c.send(seq, &cmpp.Connect{SourceAddr: spID, AuthenticatorSource: cmpp.AuthenticatorSource(spID, secret, ts),
		Version: v, Timestamp: ts})
	h, p := c.recv()
	resp, ok := p.(*cmpp.ConnectResp)
	if !ok {
		c.t.Fatalf("got %s, want CONNECT_RESP", h.CommandID)
	}
	if h.SequenceID != seq {
		c.t.Fatalf("CONNECT_RESP seq %d, want %d", h.SequenceID, seq)
	}
	return resp, h.TotalLength
}

// login connects with the test account in the client's version and fails
// the test unless Status is 0.
func (c *rawClient) login() {
	c.t.Helper()
	resp, _ := c.connect(testSPID, testSecret, c.v, cmpp.Timestamp(time.Now()))
	if resp.Status != 0 {
		c.t.Fatalf("login Status %d", resp.Status)
	}
}

// loginRaw dials and logs in with the test account.
func loginRaw(t testing.TB, s *Server, v cmpp.Version) *rawClient {
	t.Helper()
	c := dialRaw(t, s.Addr(), v)
	c.login()
	return c
}

// testSubmit returns a valid single-recipient SUBMIT.
func testSubmit(dest ...string) *cmpp.Submit {
	if len(dest) == 0 {
		dest = []string{"13800138000"}
	}
	return &cmpp.Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: 0, MsgLevel: 1, ServiceID: "TEST",
		FeeUserType: 2, MsgFmt: 0, MsgSrc: testSPID, FeeType: "01", FeeCode: "000000",
		SrcID: "1065800001", DestTerminalIDs: dest, MsgContent: []byte("hello"),
	}
}

// submitResp sends sub and returns its SUBMIT_RESP, answering (and
// returning) any DELIVER that arrives before it.
func (c *rawClient) submit(sub *cmpp.Submit) (*cmpp.SubmitResp, []*cmpp.Deliver) {
	c.t.Helper()
	seq := c.nextSeq()
	c.send(seq, sub)
	var delivers []*cmpp.Deliver
	for {
		h, p := c.recv()
		switch p := p.(type) {
		case *cmpp.SubmitResp:
			if h.SequenceID != seq {
				c.t.Fatalf("SUBMIT_RESP seq %d, want %d", h.SequenceID, seq)
			}
			return p, delivers
		case *cmpp.Deliver:
			delivers = append(delivers, p)
			c.send(h.SequenceID, &cmpp.DeliverResp{MsgID: p.MsgID})
		default:
			c.t.Fatalf("got %s while waiting for SUBMIT_RESP", h.CommandID)
		}
	}
}

// recvDelivers reads n DELIVERs, acknowledging each when ack is set.
func (c *rawClient) recvDelivers(n int, ack bool) ([]*cmpp.Deliver, []cmpp.Header) {
	c.t.Helper()
	var ds []*cmpp.Deliver
	var hs []cmpp.Header
	for len(ds) < n {
		h, p := c.recv()
		d, ok := p.(*cmpp.Deliver)
		if !ok {
			c.t.Fatalf("got %s, want DELIVER", h.CommandID)
		}
		ds = append(ds, d)
		hs = append(hs, h)
		if ack {
			c.send(h.SequenceID, &cmpp.DeliverResp{MsgID: d.MsgID})
		}
	}
	return ds, hs
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&0xf])
	}
	return string(out)
}
