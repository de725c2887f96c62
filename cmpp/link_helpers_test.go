package cmpp_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/internal/testenv"
)

// testWait is the deadline for any condition a test waits on.
const testWait = 10 * time.Second

// eventually polls cond until it holds or testWait passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling interval, not synchronisation
	}
}

// testLogger returns a debug-level logger into a buffer, dumped on failure.
func testLogger(t *testing.T) (zerolog.Logger, *testenv.LogBuffer) {
	buf := new(testenv.LogBuffer)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("link log:\n%s", buf.String())
		}
	})
	return zerolog.New(buf).Level(zerolog.DebugLevel), buf
}

// closeLink closes l gracefully within testWait at test end.
func closeLink(t *testing.T, l *cmpp.Link) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		_ = l.Close(ctx)
		select {
		case <-l.Done():
		default:
			t.Error("link not down after Close")
		}
	})
}

// versions runs f as a subtest for CMPP 2.0 and 3.0.
func versions(t *testing.T, f func(t *testing.T, v cmpp.Version)) {
	for _, v := range []cmpp.Version{cmpp.V20, cmpp.V30} {
		t.Run("V"+v.String(), func(t *testing.T) { f(t, v) })
	}
}

// rawPeer is a minimal hand-driven ISMG on real TCP, written with the
// codec, for protocol behaviours a full simulator cannot be made to show.
type rawPeer struct {
	t    *testing.T
	ln   net.Listener
	conn net.Conn
	fr   *cmpp.FrameReader
	v    cmpp.Version // layout the peer speaks after login
}

// rawLogin describes how the raw peer answers CONNECT.
type rawLogin struct {
	Ask       cmpp.Version // version the link asks for
	Answer    cmpp.Version // layout and Version of the CONNECT_RESP
	BadAuth   bool         // send a wrong AuthenticatorISMG
	Status    uint32
	LinkSetup func(*cmpp.LinkConfig)
	// Listener, when set, is used instead of a new one (fuzzing reuses one
	// listener so as not to exhaust ephemeral ports).
	Listener net.Listener
}

const (
	rawSPID   = "901234"
	rawSecret = "secret"
)

// dialRaw starts a raw peer, dials it with a link and performs the login
// from the peer's side. With Status≠0 it returns the Dial error instead of
// a link.
func dialRaw(t *testing.T, lg rawLogin) (*cmpp.Link, *rawPeer, error) {
	t.Helper()
	ln := lg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
	}
	log, _ := testLogger(t)
	cfg := cmpp.LinkConfig{
		Addr: ln.Addr().String(), SPID: rawSPID, Secret: rawSecret, Version: lg.Ask,
		ConnectTimeout: testWait, Logger: log,
	}
	if lg.LinkSetup != nil {
		lg.LinkSetup(&cfg)
	}
	type dialed struct {
		l   *cmpp.Link
		err error
	}
	ch := make(chan dialed, 1)
	go func() {
		l, err := cmpp.Dial(context.Background(), cfg)
		ch <- dialed{l, err}
	}()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	p := &rawPeer{t: t, ln: ln, conn: conn, fr: cmpp.NewFrameReader(conn, 0), v: lg.Answer}
	h, pdu := p.read()
	req, ok := pdu.(*cmpp.Connect)
	if !ok {
		t.Fatalf("first PDU is %s, want CONNECT", h.CommandID)
	}
	if req.SourceAddr != rawSPID || req.Version != lg.Ask {
		t.Fatalf("CONNECT Source_Addr %q Version %v", req.SourceAddr, req.Version)
	}
	if want := cmpp.AuthenticatorSource(rawSPID, rawSecret, req.Timestamp); req.AuthenticatorSource != want {
		t.Fatalf("CONNECT AuthenticatorSource %x, want %x", req.AuthenticatorSource, want)
	}
	resp := &cmpp.ConnectResp{Status: lg.Status, Version: lg.Answer}
	if lg.Status == 0 {
		resp.AuthenticatorISMG = cmpp.AuthenticatorISMG(0, lg.Answer, req.AuthenticatorSource, rawSecret)
		if lg.BadAuth {
			resp.AuthenticatorISMG[0] ^= 0xff
		}
	}
	p.write(h.SequenceID, resp)
	d := <-ch
	if d.err != nil {
		return nil, p, d.err
	}
	// At test end the peer hangs up first: a raw peer does not answer the
	// TERMINATE of a graceful Close.
	t.Cleanup(func() {
		conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		_ = d.l.Close(ctx)
	})
	return d.l, p, nil
}

// read reads and decodes the next PDU in the peer's layout.
func (p *rawPeer) read() (cmpp.Header, cmpp.PDU) {
	p.t.Helper()
	_ = p.conn.SetReadDeadline(time.Now().Add(testWait))
	frame, err := p.fr.ReadFrame()
	if err != nil {
		p.t.Fatalf("peer read: %v", err)
	}
	h, pdu, err := cmpp.Decode(frame, p.v)
	if err != nil {
		p.t.Fatalf("peer decode: %v", err)
	}
	return h, pdu
}

// readCmd reads the next PDU and checks its Command_Id.
func (p *rawPeer) readCmd(want cmpp.CommandID) (cmpp.Header, cmpp.PDU) {
	p.t.Helper()
	h, pdu := p.read()
	if h.CommandID != want {
		p.t.Fatalf("peer got %s, want %s", h.CommandID, want)
	}
	return h, pdu
}

// write encodes pdu in the peer's layout and sends it.
func (p *rawPeer) write(seq uint32, pdu cmpp.PDU) {
	p.t.Helper()
	frame, err := cmpp.Append(nil, p.v, seq, pdu)
	if err != nil {
		p.t.Fatalf("peer encode %s: %v", pdu.CommandID(), err)
	}
	p.writeRaw(frame)
}

// writeRaw sends bytes as they are.
func (p *rawPeer) writeRaw(b []byte) {
	p.t.Helper()
	_ = p.conn.SetWriteDeadline(time.Now().Add(testWait))
	if _, err := p.conn.Write(b); err != nil {
		p.t.Fatalf("peer write: %v", err)
	}
}

// testSubmit is a valid single-segment SUBMIT to dest.
func testSubmit(dest string) *cmpp.Submit {
	return &cmpp.Submit{
		PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, ServiceID: "TEST",
		FeeUserType: 2, MsgFmt: 8, MsgSrc: rawSPID, FeeType: "01", FeeCode: "000000",
		SrcID: "10690123", DestTerminalIDs: []string{dest}, MsgContent: []byte{0x4f, 0x60, 0x59, 0x7d},
	}
}

// asyncSubmit runs Submit on a goroutine and returns its outcome channel.
type submitOutcome struct {
	resp *cmpp.SubmitResp
	err  error
}

func asyncSubmit(ctx context.Context, l *cmpp.Link, s *cmpp.Submit) <-chan submitOutcome {
	ch := make(chan submitOutcome, 1)
	go func() {
		r, err := l.Submit(ctx, s)
		ch <- submitOutcome{r, err}
	}()
	return ch
}

// outcome waits for an async call's outcome within testWait.
func outcome(t *testing.T, ch <-chan submitOutcome) submitOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(testWait):
		t.Fatal("Submit did not return")
		return submitOutcome{}
	}
}

// mustLinkClosed checks err wraps ErrLinkClosed.
func mustLinkClosed(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, cmpp.ErrLinkClosed) {
		t.Fatalf("err = %v, want one wrapping ErrLinkClosed", err)
	}
}
