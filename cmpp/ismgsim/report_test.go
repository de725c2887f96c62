package ismgsim

import (
	"encoding/binary"
	"regexp"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

var reportTimeRE = regexp.MustCompile(`^\d{10}$`)

func reportSubmit(dest ...string) *cmpp.Submit {
	sub := testSubmit(dest...)
	sub.RegisteredDelivery = 1
	return sub
}

func TestReportLayouts(t *testing.T) {
	for _, tc := range []struct {
		name       string
		v          cmpp.Version
		short      bool
		wantTotal  int
		wantMsgLen int
	}{
		{"2.0", cmpp.V20, false, 145, 60},
		{"2.0 short flag", cmpp.V20, true, 145, 60},
		{"3.0", cmpp.V30, false, 180, 71},
		{"3.0 short", cmpp.V30, true, 169, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, Config{ReportDelay: 10 * time.Millisecond, ShortReports: tc.short})
			c := loginRaw(t, s, tc.v)
			before := time.Now()
			resp, _ := c.submit(reportSubmit())
			frame := c.recvFrame()
			if len(frame) != tc.wantTotal {
				t.Fatalf("report DELIVER of %d bytes, want %d", len(frame), tc.wantTotal)
			}
			h, p, err := cmpp.Decode(frame, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			d := p.(*cmpp.Deliver)
			if len(d.MsgContent) != tc.wantMsgLen || d.RegisteredDelivery != 1 {
				t.Fatalf("Msg_Length %d Registered_Delivery %d", len(d.MsgContent), d.RegisteredDelivery)
			}
			r, err := d.Report()
			if err != nil {
				t.Fatal(err)
			}
			if r.MsgID != resp.MsgID || r.Stat != "DELIVRD" || r.DestTerminalID != "13800138000" ||
				!reportTimeRE.MatchString(r.SubmitTime) || !reportTimeRE.MatchString(r.DoneTime) ||
				r.SubmitTime != before.Local().Format("0601021504") && r.SubmitTime != time.Now().Format("0601021504") {
				t.Fatalf("report %+v (SUBMIT_RESP Msg_Id %s)", r, resp.MsgID)
			}
			if d.SrcTerminalID != "13800138000" || d.DestID != "1065800001" || d.ServiceID != "TEST" {
				t.Fatalf("DELIVER header fields %+v", d)
			}
			if d.MsgID == resp.MsgID || d.MsgID.Fields().Gateway != DefaultGatewayID {
				t.Fatalf("DELIVER Msg_Id %s must be its own id from gateway %d", d.MsgID, DefaultGatewayID)
			}
			c.send(h.SequenceID, &cmpp.DeliverResp{MsgID: d.MsgID})
			waitFor(t, "report acked", func() bool {
				got := s.Counts()[testSPID]
				return got.ReportsSent == 1 && got.ReportsAcked == 1 && got.ReportsPending == 0
			})
		})
	}
}

func TestReportPerSegmentPerRecipient(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: 5 * time.Millisecond})
	c := loginRaw(t, s, cmpp.V30)
	dests := []string{"13800138000", "13900139000"}
	want := map[cmpp.MsgID]string{}
	for i := range 3 {
		sub := reportSubmit(dests...)
		sub.PkTotal, sub.PkNumber, sub.TPUDHI = 3, uint8(i+1), 1
		sub.MsgContent = []byte{5, 0, 3, 9, 3, byte(i + 1), 'x'}
		resp, early := c.submit(sub)
		for k, d := range dests {
			want[resp.MsgID.AddSequence(k)] = d
		}
		for _, d := range early {
			checkReport(t, d, want)
		}
	}
	for len(want) > 0 {
		ds, _ := c.recvDelivers(1, true)
		checkReport(t, ds[0], want)
	}
}

// checkReport removes the report's Msg_Id from want after checking its
// recipient.
func checkReport(t *testing.T, d *cmpp.Deliver, want map[cmpp.MsgID]string) {
	t.Helper()
	r, err := d.Report()
	if err != nil {
		t.Fatal(err)
	}
	dest, ok := want[r.MsgID]
	if !ok {
		t.Fatalf("unexpected or duplicate report for %s", r.MsgID)
	}
	if r.DestTerminalID != dest || d.SrcTerminalID != dest {
		t.Fatalf("report for %s names %q, want %q", r.MsgID, r.DestTerminalID, dest)
	}
	delete(want, r.MsgID)
}

func TestReportStatMixAndOverride(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: 1 * time.Millisecond,
		StatMix: []StatWeight{{Stat: "DELIVRD", Weight: 1}, {Stat: "UNDELIV", Weight: 1}, {Stat: "NEVER", Weight: 0}}})
	s.SetFaults(Faults{StatOverride: map[string]string{"13700137000": "MK:0001"}})
	c := loginRaw(t, s, cmpp.V30)
	const n = 40
	for range n {
		c.send(c.nextSeq(), reportSubmit("13800138000", "13700137000"))
	}
	stats := map[string]int{}
	for got := 0; got < 2*n; {
		h, p := c.recv()
		d, ok := p.(*cmpp.Deliver)
		if !ok {
			continue // SUBMIT_RESP
		}
		c.send(h.SequenceID, &cmpp.DeliverResp{MsgID: d.MsgID})
		r, err := d.Report()
		if err != nil {
			t.Fatal(err)
		}
		got++
		if r.DestTerminalID == "13700137000" {
			if r.Stat != "MK:0001" {
				t.Fatalf("overridden dest got Stat %q", r.Stat)
			}
			continue
		}
		stats[r.Stat]++
	}
	// 40 draws from a 50/50 mix: both appear (the chance that one does
	// not is 2^-39); the zero-weight Stat never does.
	if stats["DELIVRD"] == 0 || stats["UNDELIV"] == 0 || stats["DELIVRD"]+stats["UNDELIV"] != n {
		t.Fatalf("stats %v", stats)
	}
}

func TestReportPrefersSubmittingLinkAndIsHeldWithoutLink(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: 50 * time.Millisecond})
	a, b := loginRaw(t, s, cmpp.V30), loginRaw(t, s, cmpp.V20)
	// Reports go to the link the SUBMIT came on.
	respB, _ := b.submit(reportSubmit())
	ds, _ := b.recvDelivers(1, true)
	if r, _ := ds[0].Report(); r == nil || r.MsgID != respB.MsgID || len(ds[0].MsgContent) != 60 {
		t.Fatalf("report on the submitting 2.0 link: %+v", ds[0])
	}
	// The submitting link is gone: another link of the account gets it.
	respB2, _ := b.submit(reportSubmit())
	_ = b.conn.Close()
	ds, _ = a.recvDelivers(1, true)
	if r, _ := ds[0].Report(); r == nil || r.MsgID != respB2.MsgID || len(ds[0].MsgContent) != 71 {
		t.Fatalf("report moved to the 3.0 link: %+v", ds[0])
	}
	// No link at all: the report waits for the next login.
	respA, _ := a.submit(reportSubmit())
	_ = a.conn.Close()
	waitFor(t, "no links", func() bool { return s.Links(testSPID) == 0 })
	waitFor(t, "report held", func() bool {
		acct := s.account(testSPID)
		acct.mu.Lock()
		defer acct.mu.Unlock()
		return len(acct.held) == 1
	})
	c := loginRaw(t, s, cmpp.V30)
	ds, _ = c.recvDelivers(1, true)
	if r, _ := ds[0].Report(); r == nil || r.MsgID != respA.MsgID {
		t.Fatalf("held report: %+v", ds[0])
	}
}

func TestDeliverResendSameSeqThenDrop(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: time.Millisecond, ResponseTimeout: 150 * time.Millisecond, Transmissions: 3})
	c := loginRaw(t, s, cmpp.V30)
	resp, _ := c.submit(reportSubmit())
	var seqs []uint32
	var frames [][]byte
	for range 3 {
		frame := c.recvFrame()
		frames = append(frames, frame)
		seqs = append(seqs, binary.BigEndian.Uint32(frame[8:]))
	}
	if seqs[0] != seqs[1] || seqs[1] != seqs[2] {
		t.Fatalf("resends used Sequence_Ids %v, want the same", seqs)
	}
	if string(frames[0]) != string(frames[2]) {
		t.Fatal("resent DELIVER differs from the first transmission")
	}
	_, p, _ := cmpp.Decode(frames[0], cmpp.V30)
	if r, _ := p.(*cmpp.Deliver).Report(); r.MsgID != resp.MsgID {
		t.Fatalf("report Msg_Id %s, want %s", r.MsgID, resp.MsgID)
	}
	waitFor(t, "report dropped", func() bool {
		got := s.Counts()[testSPID]
		return got.ReportsDropped == 1 && got.ReportsResent == 2 && got.ReportsPending == 0
	})
	// Nothing more is sent for it: the next PDU is the answer to our probe.
	c.send(c.nextSeq(), &cmpp.ActiveTest{})
	if h, _ := c.recv(); h.CommandID != cmpp.CmdActiveTestResp {
		t.Fatalf("got %s after the drop, want ACTIVE_TEST_RESP", h.CommandID)
	}
}

func TestDeliverWindowOf16(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: time.Millisecond})
	c := loginRaw(t, s, cmpp.V30)
	const n = 20
	for range n {
		c.send(c.nextSeq(), reportSubmit())
	}
	var delivers []cmpp.Header
	var ids []cmpp.MsgID
	for resps := 0; resps < n || len(delivers) < DeliverWindow; {
		h, p := c.recv()
		switch p := p.(type) {
		case *cmpp.SubmitResp:
			resps++
		case *cmpp.Deliver:
			delivers = append(delivers, h)
			ids = append(ids, p.MsgID)
		}
	}
	if len(delivers) != DeliverWindow {
		t.Fatalf("%d DELIVERs unacknowledged, want %d", len(delivers), DeliverWindow)
	}
	// Nothing beyond the window until an ack: an ACTIVE_TEST_RESP comes first.
	c.send(c.nextSeq(), &cmpp.ActiveTest{})
	if h, _ := c.recv(); h.CommandID != cmpp.CmdActiveTestResp {
		t.Fatalf("got %s, want ACTIVE_TEST_RESP (window full)", h.CommandID)
	}
	for i, h := range delivers {
		c.send(h.SequenceID, &cmpp.DeliverResp{MsgID: ids[i]})
	}
	c.recvDelivers(n-DeliverWindow, true)
	waitFor(t, "all acked", func() bool { return s.Counts()[testSPID].ReportsAcked == n })
}

// Transmissions counts sends on every link: a report sent once on a link
// that died gets only the remaining sends on the next one.
func TestDeliverTransmissionsCountAcrossLinks(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: time.Millisecond, ResponseTimeout: 100 * time.Millisecond, Transmissions: 2})
	a := loginRaw(t, s, cmpp.V30)
	resp, _ := a.submit(reportSubmit())
	a.recvDelivers(1, false) // send 1, unanswered
	_ = a.conn.Close()
	waitFor(t, "link gone", func() bool { return s.Links(testSPID) == 0 })
	b := loginRaw(t, s, cmpp.V30)
	ds, _ := b.recvDelivers(1, false) // send 2 on the new link, unanswered
	if r, _ := ds[0].Report(); r == nil || r.MsgID != resp.MsgID {
		t.Fatalf("report %+v", ds[0])
	}
	waitFor(t, "report dropped", func() bool { return s.Counts()[testSPID].ReportsDropped == 1 })
	b.nextIsActiveTestResp() // no third transmission
	if got := s.Counts()[testSPID]; got.ReportsSent != 1 || got.ReportsResent != 1 || got.ReportsPending != 0 {
		t.Fatalf("counts %+v", got)
	}
}
