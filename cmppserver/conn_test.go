package cmppserver

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
	"github.com/smsbridge/smsbridge/registry"
)

// loggedIn returns a raw client logged in to acct30 and the server's link.
func loggedIn(t *testing.T, f *fixture, srv *Server, addr string) (*raw, *link) {
	t.Helper()
	before := map[*link]bool{}
	for _, l := range srv.front.accountLinks(acct30) {
		before[l] = true
	}
	r := dialRaw(t, addr)
	if resp, _ := r.login(acct30, secret30, cmpp.V30, false); resp.Status != 0 {
		t.Fatalf("login Status %d", resp.Status)
	}
	var l *link
	waitFor(t, 2*time.Second, "the link registered", func() bool {
		for _, x := range srv.front.accountLinks(acct30) {
			if !before[x] {
				l = x
				return true
			}
		}
		return false
	})
	return r, l
}

// TestActiveTestBothWays: the client's is answered at once; the server
// probes an idle link and closes it after ActiveTestMissed unanswered.
func TestActiveTestBothWays(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.ActiveTestInterval = registry.Duration(100 * time.Millisecond)
		c.ActiveTestMissed = 2
	})
	r, l := loggedIn(t, f, f.srv, f.addr)
	r.send(77, &cmpp.ActiveTest{})
	for answered := 0; answered < 2; {
		h, _, _ := r.read()
		switch h.CommandID {
		case cmpp.CmdActiveTestResp:
			if h.SequenceID != 77 {
				t.Fatalf("ACTIVE_TEST_RESP seq %d, want 77", h.SequenceID)
			}
		case cmpp.CmdActiveTest:
			r.send(h.SequenceID, &cmpp.ActiveTestResp{})
			answered++
		default:
			t.Fatalf("unexpected %s", h.CommandID)
		}
	}
	select {
	case <-l.closed():
		t.Fatal("link closed although every probe was answered")
	default:
	}
	start := time.Now()
	r.waitClosed(2 * time.Second) // probes no longer answered
	<-l.closed()
	if !errors.Is(l.reason(), errActiveTest) {
		t.Errorf("close reason %v, want %v", l.reason(), errActiveTest)
	}
	t.Logf("closed %v after the last answer", time.Since(start))
}

// TestTerminateBothWays: the project's client's TERMINATE is answered;
// the server's terminate sends TERMINATE and closes after the answer,
// freeing the slot and the gauge.
func TestTerminateBothWays(t *testing.T) {
	f := newFixture(t, nil)
	cl, err := dial(t, f.addr, acct30, secret30, cmpp.V30, nil)
	if err != nil {
		t.Fatal(err)
	}
	closeLink(t, cl) // TERMINATE from the client, TERMINATE_RESP checked by Close
	waitFor(t, 2*time.Second, "gauge 0", func() bool {
		return metricValue(t, f.srv.front.linksGauge.WithLabelValues(acct30)) == 0
	})

	r, l := loggedIn(t, f, f.srv, f.addr)
	l.terminate("test")
	h, _, _ := r.read()
	if h.CommandID != cmpp.CmdTerminate {
		t.Fatalf("got %s, want TERMINATE", h.CommandID)
	}
	r.send(h.SequenceID, &cmpp.TerminateResp{})
	r.waitClosed(2 * time.Second)
	<-l.closed()
	if !errors.Is(l.reason(), errTerminated) {
		t.Errorf("reason %v", l.reason())
	}
	// Both slots are free again: max_links 2 admits two links.
	for range 2 {
		if _, err := dial(t, f.addr, acct30, secret30, cmpp.V30, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMalformedClosesOnlyThatLink: bad length, unknown command,
// undecodable body and a response never asked for each close their link
// with a log line; another link keeps working.
func TestMalformedClosesOnlyThatLink(t *testing.T) {
	f := newFixture(t, func(c *Config) {})
	good := dialRaw(t, f.addr)
	if resp, _ := good.login(acct20, secret20, cmpp.V20, false); resp.Status != 0 {
		t.Fatalf("login Status %d", resp.Status)
	}
	frames := map[string][]byte{
		"Total_Length below 12":  {0, 0, 0, 5, 0, 0, 0, 8, 0, 0, 0, 1},
		"Total_Length too large": {0, 0, 0x20, 0, 0, 0, 0, 4, 0, 0, 0, 1},
		"unknown Command_Id":     hdr(12, 0x99, 3),
		"ACTIVE_TEST with body":  append(hdr(13, uint32(cmpp.CmdActiveTest), 3), 0),
		"truncated SUBMIT":       append(hdr(20, uint32(cmpp.CmdSubmit), 3), make([]byte, 8)...),
		"SUBMIT_RESP unasked":    append(hdr(12+12, uint32(cmpp.CmdSubmitResp), 3), make([]byte, 12)...),
		"DELIVER_RESP unasked":   append(hdr(12+12, uint32(cmpp.CmdDeliverResp), 999), make([]byte, 12)...),
		"second CONNECT":         nil,
	}
	for name, b := range frames {
		t.Run(name, func(t *testing.T) {
			r, l := loggedIn(t, f, f.srv, f.addr)
			if b == nil {
				r.send(9, &cmpp.Connect{SourceAddr: acct30, Version: cmpp.V30})
			} else {
				r.write(b)
			}
			r.waitClosed(2 * time.Second)
			<-l.closed()
			if !containsLog(f, l.id) {
				t.Errorf("no log line with link_id %s", l.id)
			}
			good.ping(100)
		})
	}
	if containsLog(f, "panic") {
		t.Errorf("panic in the log")
	}
}

// hdr builds a 12-byte header.
func hdr(total, cmd, seq uint32) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b, total)
	binary.BigEndian.PutUint32(b[4:], cmd)
	binary.BigEndian.PutUint32(b[8:], seq)
	return b
}

// TestAccountChangesCloseLinks: secret change, CMPP access removed,
// tenant disabled and a narrowed allow list each close the account's
// links within 1 s.
func TestAccountChangesCloseLinks(t *testing.T) {
	changes := []struct {
		name   string
		change func(*registry.Tenant)
	}{
		{"secret changed", func(tn *registry.Tenant) { tn.CMPP.Secret = "new-secret" }},
		{"cmpp removed", func(tn *registry.Tenant) { tn.CMPP = nil }},
		{"tenant disabled", func(tn *registry.Tenant) { tn.Disabled = true }},
		{"address no longer allowed", func(tn *registry.Tenant) { tn.CMPP.AllowedIPs = []string{"192.0.2.1"} }},
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, nil)
			cl, err := dial(t, f.addr, acct30, secret30, cmpp.V30, nil)
			if err != nil {
				t.Fatal(err)
			}
			r, l := loggedIn(t, f, f.srv, f.addr)
			other := dialRaw(t, f.addr)
			if resp, _ := other.login(acct20, secret20, cmpp.V20, false); resp.Status != 0 {
				t.Fatalf("login Status %d", resp.Status)
			}
			start := time.Now()
			f.updateTenant(t, "acme", c.change)
			// The raw client does not answer TERMINATE: closed anyway.
			r.waitClosed(time.Second + 200*time.Millisecond)
			select {
			case <-cl.Done():
			case <-time.After(time.Second):
				t.Fatal("the project's client is still logged in after 1 s")
			}
			<-l.closed()
			if d := time.Since(start); d > time.Second+200*time.Millisecond {
				t.Errorf("closed after %v", d)
			}
			other.ping(100)
		})
	}
}

// TestDeliverWindow: the window bounds DELIVERs; an unanswered one is
// resent with the same Sequence_Id every ReportResendAfter, then given
// up on (done once with an error); answered ones complete with their
// Result; a closing link fails what is in flight, each done exactly once.
func TestDeliverWindow(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Window = 2
		c.ReportResendAfter = registry.Duration(150 * time.Millisecond)
		c.ReportResendMax = 2
	})
	r, l := loggedIn(t, f, f.srv, f.addr)
	type outcome struct {
		result uint32
		err    error
	}
	var mu sync.Mutex
	calls := map[int][]outcome{}
	doneFn := func(i int) func(uint32, error) {
		return func(res uint32, err error) {
			mu.Lock()
			calls[i] = append(calls[i], outcome{res, err})
			mu.Unlock()
		}
	}
	countCalls := func(i int) int { mu.Lock(); defer mu.Unlock(); return len(calls[i]) }
	mk := func(n uint64) *cmpp.Deliver {
		return &cmpp.Deliver{MsgID: cmpp.MsgID(n), DestID: "1065800001", SrcTerminalID: "13800138000", MsgFmt: 15, MsgContent: []byte("mo")}
	}
	if l.free() != 2 {
		t.Fatalf("free %d, want 2", l.free())
	}
	if !l.deliver(mk(1), doneFn(1)) || !l.deliver(mk(2), doneFn(2)) {
		t.Fatal("deliver refused with free window")
	}
	if l.free() != 0 || l.deliver(mk(3), doneFn(3)) {
		t.Fatal("a third DELIVER fit a window of 2")
	}
	// Read the first transmissions; answer the second DELIVER only.
	seqs := map[uint64]uint32{}
	sends := map[uint32]int{}
	for len(seqs) < 2 {
		h, p, _ := r.read()
		d, ok := p.(*cmpp.Deliver)
		if !ok {
			t.Fatalf("got %s", h.CommandID)
		}
		seqs[uint64(d.MsgID)] = h.SequenceID
		sends[h.SequenceID]++
	}
	r.send(seqs[2], &cmpp.DeliverResp{MsgID: 2, Result: 7})
	waitFor(t, 2*time.Second, "done of DELIVER 2", func() bool { return countCalls(2) == 1 })
	if l.free() != 1 {
		t.Errorf("free %d after one answer, want 1", l.free())
	}
	// DELIVER 1 is resent twice with the same Sequence_Id, then given up.
	waitFor(t, 3*time.Second, "done of DELIVER 1", func() bool { return countCalls(1) == 1 })
	_ = r.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		frame, err := r.fr.ReadFrame()
		if err != nil {
			break
		}
		h, _ := cmpp.DecodeHeader(frame)
		if h.CommandID == cmpp.CmdDeliver {
			sends[h.SequenceID]++
		}
	}
	if sends[seqs[1]] != 3 {
		t.Errorf("DELIVER 1 sent %d times with seq %d, want 3 (1 + report_resend_max 2)", sends[seqs[1]], seqs[1])
	}
	mu.Lock()
	if o := calls[2][0]; o.err != nil || o.result != 7 {
		t.Errorf("DELIVER 2 done(%d, %v), want (7, nil)", o.result, o.err)
	}
	if o := calls[1][0]; !errors.Is(o.err, errUnanswered) {
		t.Errorf("DELIVER 1 done(%d, %v), want errUnanswered", o.result, o.err)
	}
	mu.Unlock()
	// A late answer to the given-up DELIVER is harmless.
	r.conn.SetReadDeadline(time.Time{})
	r.send(seqs[1], &cmpp.DeliverResp{MsgID: 1})
	// Closing fails what is in flight, once.
	if !l.deliver(mk(4), doneFn(4)) {
		t.Fatal("deliver refused")
	}
	_ = r.conn.Close()
	<-l.closed()
	if l.deliver(mk(5), doneFn(5)) || l.free() != 0 {
		t.Error("a closed link accepted a DELIVER")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls[4]) != 1 || !errors.Is(calls[4][0].err, errLinkClosed) {
		t.Errorf("DELIVER 4 done calls %v, want one errLinkClosed", calls[4])
	}
	for i, c := range calls {
		if len(c) != 1 {
			t.Errorf("DELIVER %d: done called %d times", i, len(c))
		}
	}
	if _, ok := calls[3]; ok {
		t.Error("done called for a refused DELIVER")
	}
}

// TestClientTerminateAnswersSubmitsInHand: SUBMITs that arrived with
// the TERMINATE are stored and answered before TERMINATE_RESP (real
// backend and store).
func TestClientTerminateAnswersSubmitsInHand(t *testing.T) {
	f := newFixture(t, nil)
	r, l := loggedIn(t, f, f.srv, f.addr)
	var batch []byte
	const n = 5
	for i := range n {
		sub := &cmpp.Submit{PkTotal: 1, PkNumber: 1, RegisteredDelivery: 1, MsgFmt: 8, SrcID: "1065800001",
			DestTerminalIDs: []string{"13800138000"}, MsgContent: []byte{0, 'h', 0, byte('a' + i)}}
		b, err := cmpp.Append(batch, cmpp.V30, uint32(10+i), sub)
		if err != nil {
			t.Fatal(err)
		}
		batch = b
	}
	batch, _ = cmpp.Append(batch, cmpp.V30, 99, &cmpp.Terminate{})
	r.write(batch)
	answered := map[uint32]bool{}
	for {
		h, p, _ := r.read()
		if h.CommandID == cmpp.CmdTerminateResp {
			if h.SequenceID != 99 {
				t.Fatalf("TERMINATE_RESP seq %d", h.SequenceID)
			}
			break
		}
		resp, ok := p.(*cmpp.SubmitResp)
		if !ok {
			t.Fatalf("got %s", h.CommandID)
		}
		if resp.Result != 0 {
			t.Errorf("SUBMIT seq %d: Result %d", h.SequenceID, resp.Result)
		}
		answered[h.SequenceID] = true
	}
	if len(answered) != n {
		t.Errorf("%d SUBMIT_RESPs before TERMINATE_RESP, want %d", len(answered), n)
	}
	r.waitClosed(2 * time.Second)
	<-l.closed()
	if !errors.Is(l.reason(), errClientTerminate) {
		t.Errorf("reason %v", l.reason())
	}
}
