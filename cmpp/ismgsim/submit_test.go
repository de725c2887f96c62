package ismgsim

import (
	"bytes"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

func TestSubmitMsgIDLayout(t *testing.T) {
	s := newTestServer(t, Config{GatewayID: 4242})
	for _, v := range []cmpp.Version{cmpp.V20, cmpp.V30} {
		c := loginRaw(t, s, v)
		var prev cmpp.MsgIDFields
		for i := range 5 {
			before := time.Now()
			resp, _ := c.submit(testSubmit())
			if resp.Result != 0 {
				t.Fatalf("%s: Result %d", v, resp.Result)
			}
			f := resp.MsgID.Fields()
			if f.Gateway != 4242 {
				t.Fatalf("%s: gateway %d, want 4242", v, f.Gateway)
			}
			if i > 0 && f.Sequence != prev.Sequence+1 {
				t.Fatalf("%s: sequence %d after %d, want +1", v, f.Sequence, prev.Sequence)
			}
			lt := before.Local()
			if f.Month != uint32(lt.Month()) || f.Day != uint32(lt.Day()) {
				t.Fatalf("%s: Msg_Id date %02d-%02d, want %02d-%02d", v, f.Month, f.Day, lt.Month(), lt.Day())
			}
			prev = f
		}
	}
}

func TestSubmitGroupSendAddSequence(t *testing.T) {
	s := newTestServer(t, Config{})
	c := loginRaw(t, s, cmpp.V30)
	dests := []string{"13800138000", "13900139000", "+8613700137000"}
	resp, _ := c.submit(testSubmit(dests...))
	if resp.Result != 0 {
		t.Fatalf("Result %d", resp.Result)
	}
	next, _ := c.submit(testSubmit())
	if got, want := next.MsgID.Fields().Sequence, resp.MsgID.AddSequence(3).Fields().Sequence; got != want {
		t.Fatalf("next SUBMIT sequence %d, want %d (group send reserves one per recipient)", got, want)
	}
	recs := s.Received()
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4 (one per recipient)", len(recs))
	}
	for k, d := range dests {
		r := recs[k]
		if r.Dest != d || r.MsgID != resp.MsgID.AddSequence(k) || r.Recipients != 3 {
			t.Fatalf("record %d = dest %q msg_id %s recipients %d, want %q %s 3",
				k, r.Dest, r.MsgID, r.Recipients, d, resp.MsgID.AddSequence(k))
		}
	}
	if c := s.Counts()[testSPID]; c.Submits != 2 || c.Accepted != 2 || c.Recipients != 4 {
		t.Fatalf("counts %+v", c)
	}
}

func TestSubmitRecordsFields(t *testing.T) {
	s := newTestServer(t, Config{})
	c := loginRaw(t, s, cmpp.V20)
	sub := testSubmit()
	sub.PkTotal, sub.PkNumber, sub.TPUDHI, sub.MsgFmt = 2, 1, 1, 8
	sub.MsgContent = []byte{5, 0, 3, 7, 2, 1, 0x4f, 0x60}
	seq := c.seq + 1
	resp, _ := c.submit(sub)
	recs := s.Received()
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	r := recs[0]
	if r.SPID != testSPID || r.Seq != seq || r.MsgID != resp.MsgID || r.Result != 0 || r.PkTotal != 2 ||
		r.PkNumber != 1 || r.TPUDHI != 1 || r.MsgFmt != 8 || !bytes.Equal(r.Content, sub.MsgContent) ||
		r.Dest != "13800138000" || r.SrcID != "1065800001" || r.ServiceID != "TEST" || r.MsgSrc != testSPID ||
		r.LinkID == 0 || time.Since(r.At) > time.Minute {
		t.Fatalf("record %+v", r)
	}
	s.ResetReceived()
	if n := len(s.Received()); n != 0 {
		t.Fatalf("%d records after reset", n)
	}
}

func TestReceivedRingKeepsMostRecent(t *testing.T) {
	s := newTestServer(t, Config{MaxReceived: 3})
	c := loginRaw(t, s, cmpp.V30)
	var ids []cmpp.MsgID
	for range 5 {
		resp, _ := c.submit(testSubmit())
		ids = append(ids, resp.MsgID)
	}
	recs := s.Received()
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for i, r := range recs {
		if r.MsgID != ids[2+i] {
			t.Fatalf("record %d is %s, want %s", i, r.MsgID, ids[2+i])
		}
	}
	if got := s.ReceivedFor(testSPID, 1); len(got) != 1 || got[0].MsgID != ids[4] {
		t.Fatalf("ReceivedFor limit 1 = %+v", got)
	}
}

func TestSubmitValidation(t *testing.T) {
	s := newTestServer(t, Config{Accounts: []Account{{SPID: testSPID, Secret: testSecret, SrcIDPrefix: "10658"}}})
	c := loginRaw(t, s, cmpp.V30)
	mod := func(f func(*cmpp.Submit)) *cmpp.Submit {
		sub := testSubmit()
		f(sub)
		return sub
	}
	for _, tc := range []struct {
		name string
		sub  *cmpp.Submit
		want uint32
	}{
		{"valid", testSubmit(), 0},
		{"empty Msg_src accepted", mod(func(s *cmpp.Submit) { s.MsgSrc = "" }), 0},
		{"Src_Id with extension", mod(func(s *cmpp.Submit) { s.SrcID = "106580000199" }), 0},
		{"empty dest among several", testSubmit("13800138000", ""), 13},
		{"letters in dest", testSubmit("1380013800a"), 13},
		{"pseudo dest may be anything", mod(func(s *cmpp.Submit) {
			s.DestTerminalIDs, s.DestTerminalType = []string{"openid-abc"}, 1
		}), 0},
		{"Src_Id prefix", mod(func(s *cmpp.Submit) { s.SrcID = "10690001" }), 10},
		{"Msg_src of another SP", mod(func(s *cmpp.Submit) { s.MsgSrc = "900002" }), 11},
	} {
		resp, _ := c.submit(tc.sub)
		if resp.Result != tc.want {
			t.Errorf("%s: Result %d, want %d", tc.name, resp.Result, tc.want)
		}
	}
	if got := s.Counts()[testSPID]; got.Rejected != 4 || got.Accepted != 4 {
		t.Fatalf("counts %+v, want 4 rejected 4 accepted", got)
	}
}

// pipelineSubmits sends n SUBMITs without waiting and returns the Results
// by Sequence_Id.
func pipelineSubmits(t *testing.T, c *rawClient, n int) map[uint32]uint32 {
	t.Helper()
	var buf []byte
	for range n {
		var err error
		if buf, err = cmpp.Append(buf, c.v, c.nextSeq(), testSubmit()); err != nil {
			t.Fatal(err)
		}
	}
	c.sendRaw(buf)
	results := make(map[uint32]uint32, n)
	for len(results) < n {
		h, p := c.recv()
		r, ok := p.(*cmpp.SubmitResp)
		if !ok {
			t.Fatalf("got %s", h.CommandID)
		}
		results[h.SequenceID] = r.Result
	}
	return results
}

func TestRateLimitAcrossLinksAndLiveUpdate(t *testing.T) {
	s := newTestServer(t, Config{Accounts: []Account{{SPID: testSPID, Secret: testSecret, MaxSubmitsPerSec: 10}}})
	a, b := loginRaw(t, s, cmpp.V30), loginRaw(t, s, cmpp.V20)
	limited := 0
	for _, c := range []*rawClient{a, b} {
		for _, r := range pipelineSubmits(t, c, 20) {
			switch r {
			case 8:
				limited++
			case 0:
			default:
				t.Fatalf("Result %d", r)
			}
		}
	}
	// 40 SUBMITs against a bucket of 10 (plus what refills while they
	// run): most are flow-controlled, whichever link sent them.
	if limited < 20 || limited > 30 {
		t.Fatalf("%d of 40 flow-controlled, want 20..30", limited)
	}
	if got := s.Counts()[testSPID]; got.FlowControlled != uint64(limited) || got.Accepted != uint64(40-limited) {
		t.Fatalf("counts %+v, want %d flow-controlled", got, limited)
	}
	if err := s.UpdateAccount(Account{SPID: testSPID, Secret: testSecret}); err != nil {
		t.Fatal(err)
	}
	for seq, r := range pipelineSubmits(t, a, 30) {
		if r != 0 {
			t.Fatalf("seq %d: Result %d after the limit was lifted", seq, r)
		}
	}
}

func TestQuery(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: time.Hour})
	c := loginRaw(t, s, cmpp.V30)
	ok := testSubmit("13800138000", "13900139000")
	ok.RegisteredDelivery = 1
	c.submit(ok)
	c.submit(testSubmit(""))
	seq := c.nextSeq()
	c.send(seq, &cmpp.Query{Time: "20261122", QueryType: 0})
	h, p := c.recv()
	q, isQ := p.(*cmpp.QueryResp)
	if !isQ || h.SequenceID != seq {
		t.Fatalf("got %s seq %d", h.CommandID, h.SequenceID)
	}
	want := cmpp.QueryResp{Time: "20261122", MTTLMsg: 2, MTTlusr: 2, MTScs: 1, MTWT: 2, MTFL: 1}
	if *q != want {
		t.Fatalf("QUERY_RESP %+v, want %+v", *q, want)
	}
}

func TestCancel(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: 300 * time.Millisecond, Accounts: []Account{
		{SPID: testSPID, Secret: testSecret}, {SPID: "900002", Secret: "pw"}}})
	c := loginRaw(t, s, cmpp.V20)
	other := dialRaw(t, s.Addr(), cmpp.V30)
	if resp, _ := other.connect("900002", "pw", cmpp.V30, cmpp.Timestamp(time.Now())); resp.Status != 0 {
		t.Fatalf("900002 login Status %d", resp.Status)
	}
	withReport := func(dest string) *cmpp.Submit {
		sub := testSubmit(dest)
		sub.RegisteredDelivery = 1
		return sub
	}
	cancel := func(id cmpp.MsgID) uint32 {
		seq := c.nextSeq()
		c.send(seq, &cmpp.Cancel{MsgID: id})
		for {
			h, p := c.recv()
			switch p := p.(type) {
			case *cmpp.CancelResp:
				if h.SequenceID != seq {
					t.Fatalf("CANCEL_RESP seq %d, want %d", h.SequenceID, seq)
				}
				if h.TotalLength != 13 {
					t.Fatalf("2.0 CANCEL_RESP Total_Length %d, want 13", h.TotalLength)
				}
				return p.SuccessID
			case *cmpp.Deliver:
				c.send(h.SequenceID, &cmpp.DeliverResp{MsgID: p.MsgID})
			}
		}
	}
	cancelled, _ := c.submit(withReport("13800138000"))
	kept, _ := c.submit(withReport("13900139000"))
	noReport, _ := c.submit(testSubmit())
	if got := cancel(cancelled.MsgID); got != 0 {
		t.Fatalf("CANCEL of a pending report: Success_Id %d, want 0", got)
	}
	if got := cancel(cancelled.MsgID); got != 1 {
		t.Fatalf("second CANCEL: Success_Id %d, want 1", got)
	}
	if got := cancel(noReport.MsgID); got != 1 {
		t.Fatalf("CANCEL without pending report: Success_Id %d, want 1", got)
	}
	// Msg_Ids are per account: another SP cannot cancel this one's report.
	other.send(1, &cmpp.Cancel{MsgID: kept.MsgID})
	if _, p := other.recv(); p.(*cmpp.CancelResp).SuccessID != 1 {
		t.Fatal("another account cancelled the report")
	}
	if got := cancel(0x1234); got != 1 {
		t.Fatalf("CANCEL of an unknown Msg_Id: Success_Id %d, want 1", got)
	}
	ds, _ := c.recvDelivers(1, true)
	rep, err := ds[0].Report()
	if err != nil || rep.MsgID != kept.MsgID {
		t.Fatalf("report %+v %v, want the one for %s", rep, err, kept.MsgID)
	}
	if got := cancel(kept.MsgID); got != 1 {
		t.Fatalf("CANCEL after the report was sent: Success_Id %d, want 1", got)
	}
	waitFor(t, "counts", func() bool {
		got := s.Counts()[testSPID]
		return got.ReportsCancelled == 1 && got.ReportsAcked == 1 && got.ReportsPending == 0
	})
	if got := s.Counts()[testSPID]; got.ReportsSent != 1 {
		t.Fatalf("ReportsSent %d, want 1 (the cancelled one is never sent)", got.ReportsSent)
	}
}

// With FlushDelay the writer holds its output, then writes all of it:
// every response and report still arrives, in order.
func TestFlushDelayKeepsEveryFrame(t *testing.T) {
	s := newTestServer(t, Config{FlushDelay: 50 * time.Millisecond, ReportDelay: -1})
	c := loginRaw(t, s, cmpp.V30)
	const n = 5
	var batch []byte
	first := c.seq + 1
	for range n {
		sub := testSubmit()
		sub.RegisteredDelivery = 1
		b, err := cmpp.Append(nil, c.v, c.nextSeq(), sub)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, b...)
	}
	c.sendRaw(batch)
	resps, reports := 0, 0
	for resps < n || reports < n {
		h, p := c.recv()
		switch p := p.(type) {
		case *cmpp.SubmitResp:
			if want := first + uint32(resps); h.SequenceID != want || p.Result != 0 {
				t.Fatalf("SUBMIT_RESP seq %d Result %d, want seq %d Result 0", h.SequenceID, p.Result, want)
			}
			resps++
		case *cmpp.Deliver:
			reports++
			c.send(h.SequenceID, &cmpp.DeliverResp{MsgID: p.MsgID})
		default:
			t.Fatalf("unexpected %s", h.CommandID)
		}
	}
}
