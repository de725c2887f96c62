package ismgsim

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// nextIsActiveTestResp sends an ACTIVE_TEST and checks that its response
// is the next PDU: whatever was queued before it has been sent.
func (c *rawClient) nextIsActiveTestResp() {
	c.t.Helper()
	seq := c.nextSeq()
	c.send(seq, &cmpp.ActiveTest{})
	h, _ := c.recv()
	if h.CommandID != cmpp.CmdActiveTestResp || h.SequenceID != seq {
		c.t.Fatalf("got %s seq %d, want ACTIVE_TEST_RESP seq %d", h.CommandID, h.SequenceID, seq)
	}
}

func TestFaultDropResponse(t *testing.T) {
	s := newTestServer(t, Config{})
	s.SetFaults(Faults{DropResponseRatio: 1})
	c := loginRaw(t, s, cmpp.V30)
	c.send(c.nextSeq(), testSubmit())
	c.nextIsActiveTestResp() // the SUBMIT_RESP never came
	if got := s.Counts()[testSPID]; got.ResponsesDropped != 1 || got.Accepted != 1 {
		t.Fatalf("counts %+v", got)
	}
	if n := len(s.Received()); n != 1 {
		t.Fatalf("%d records: a dropped response still records the SUBMIT", n)
	}
	s.SetFaults(Faults{})
	if resp, _ := c.submit(testSubmit()); resp.Result != 0 {
		t.Fatalf("Result %d", resp.Result)
	}
}

func TestFaultResponseDelayDoesNotBlockLink(t *testing.T) {
	s := newTestServer(t, Config{})
	s.SetFaults(Faults{ResponseDelay: 200 * time.Millisecond})
	c := loginRaw(t, s, cmpp.V30)
	start := time.Now()
	subSeq := c.nextSeq()
	c.send(subSeq, testSubmit())
	c.nextIsActiveTestResp() // answered while the SUBMIT_RESP is held back
	h, p := c.recv()
	if _, ok := p.(*cmpp.SubmitResp); !ok || h.SequenceID != subSeq {
		t.Fatalf("got %s seq %d", h.CommandID, h.SequenceID)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Fatalf("SUBMIT_RESP after %v, want ≥ 200ms", el)
	}
}

func TestFaultForceResult(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: time.Millisecond})
	s.SetFaults(Faults{ForceResult: 8})
	c := loginRaw(t, s, cmpp.V30)
	if resp, _ := c.submit(reportSubmit()); resp.Result != 8 {
		t.Fatalf("Result %d, want 8", resp.Result)
	}
	s.SetFaults(Faults{ForceResult: 300})
	if resp, _ := c.submit(testSubmit()); resp.Result != 300 {
		t.Fatalf("3.0 Result %d, want 300", resp.Result)
	}
	c2 := loginRaw(t, s, cmpp.V20)
	if resp, _ := c2.submit(testSubmit()); resp.Result != 255 {
		t.Fatalf("2.0 Result %d, want 255 (one byte)", resp.Result)
	}
	c.nextIsActiveTestResp() // no report for a refused SUBMIT
	if got := s.Counts()[testSPID]; got.FlowControlled != 1 || got.Rejected != 2 || got.ReportsPending != 0 {
		t.Fatalf("counts %+v", got)
	}
}

func TestFaultCloseLinksEvery(t *testing.T) {
	s := newTestServer(t, Config{})
	a := loginRaw(t, s, cmpp.V30)
	b := loginRaw(t, s, cmpp.V20)
	s.SetFaults(Faults{CloseLinksEvery: 100 * time.Millisecond})
	a.expectClosed()
	b.expectClosed()
	s.SetFaults(Faults{})
	c := loginRaw(t, s, cmpp.V30) // logins still work
	c.nextIsActiveTestResp()
}

func TestFaultReportBeforeResp(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: time.Hour})
	s.SetFaults(Faults{ReportBeforeResp: true})
	c := loginRaw(t, s, cmpp.V30)
	seq := c.nextSeq()
	c.send(seq, reportSubmit("13800138000", "13900139000"))
	ds, hs := c.recvDelivers(2, true)
	h, p := c.recv()
	resp, ok := p.(*cmpp.SubmitResp)
	if !ok || h.SequenceID != seq {
		t.Fatalf("got %s after the reports, want SUBMIT_RESP", h.CommandID)
	}
	for k, d := range ds {
		r, err := d.Report()
		if err != nil || r.MsgID != resp.MsgID.AddSequence(k) {
			t.Fatalf("report %d: %+v %v (header %+v)", k, r, err, hs[k])
		}
	}
}

func TestFaultSilent(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: 100 * time.Millisecond})
	c := loginRaw(t, s, cmpp.V30)
	resp, _ := c.submit(reportSubmit()) // report due in 100ms
	s.SetFaults(Faults{Silent: true})
	if !s.Faults().Silent {
		t.Fatal("Faults() does not return the active faults")
	}
	// Nothing is answered or sent while silent (not even the report that
	// falls due), and the TCP connection stays up.
	c.send(c.nextSeq(), &cmpp.ActiveTest{})
	c.send(c.nextSeq(), testSubmit())
	if h, _, err := c.recvErr(300 * time.Millisecond); err == nil {
		t.Fatalf("%s sent while silent", h.CommandID)
	}
	if s.Links(testSPID) != 1 {
		t.Fatal("link closed while silent")
	}
	dead := dialRaw(t, s.Addr(), cmpp.V30)
	dead.send(1, &cmpp.Connect{SourceAddr: testSPID, Version: cmpp.V30})
	if _, _, err := dead.recvErr(100 * time.Millisecond); err == nil {
		t.Fatal("CONNECT answered while silent")
	}
	s.SetFaults(Faults{})
	// The held report goes out once silence ends; new requests are answered.
	seq := c.nextSeq()
	c.send(seq, &cmpp.ActiveTest{})
	gotReport, gotResp := false, false
	for !gotReport || !gotResp {
		h, p := c.recv()
		switch p := p.(type) {
		case *cmpp.Deliver:
			r, err := p.Report()
			if err != nil || r.MsgID != resp.MsgID {
				t.Fatalf("report %+v %v", r, err)
			}
			gotReport = true
			c.send(h.SequenceID, &cmpp.DeliverResp{MsgID: p.MsgID})
		case *cmpp.ActiveTestResp:
			if h.SequenceID != seq {
				t.Fatalf("ACTIVE_TEST_RESP seq %d, want %d", h.SequenceID, seq)
			}
			gotResp = true
		default:
			t.Fatalf("unexpected %s", h.CommandID)
		}
	}
	if got := s.Counts()[testSPID].Submits; got != 1 {
		t.Fatalf("Submits %d: frames read while silent are discarded", got)
	}
}

func TestSetFaultsConcurrent(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: time.Millisecond})
	c := loginRaw(t, s, cmpp.V30)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.SetFaults(Faults{ResponseDelay: time.Duration(i%2) * time.Millisecond,
				StatOverride: map[string]string{"13800138000": "UNDELIV"}})
			_ = s.Faults()
		}
	}()
	for range 50 {
		c.submit(reportSubmit())
	}
	close(stop)
	wg.Wait()
}

func TestFaultsCloneIsolatesMap(t *testing.T) {
	s := newTestServer(t, Config{})
	m := map[string]string{"1": "UNDELIV"}
	s.SetFaults(Faults{StatOverride: m, DropResponseRatio: 7, ResponseDelay: -time.Second})
	m["1"] = "changed"
	got := s.Faults()
	if got.StatOverride["1"] != "UNDELIV" || got.DropResponseRatio != 1 || got.ResponseDelay != 0 {
		t.Fatalf("faults %+v", got)
	}
}

// FixedMsgID answers every SUBMIT with the same Msg_Id, and the reports of
// different SUBMITs carry it too; clearing it restores fresh Msg_Ids. The
// admin API sets and shows it in the 22-digit form.
func TestFaultFixedMsgID(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: time.Millisecond})
	hs := httptest.NewServer(s.AdminHandler())
	defer hs.Close()
	var f FaultsDoc
	if code := adminCall(t, hs.URL, "PUT", "/faults", `{"fixed_msg_id":"0000000000000000000000"}`, &f); code != 200 ||
		f.FixedMsgID != "0000000000000000000000" {
		t.Fatalf("PUT /faults: %d %+v", code, f)
	}
	if got := s.Faults().FixedMsgID; got == nil || *got != 0 {
		t.Fatalf("FixedMsgID %v, want Msg_Id 0", got)
	}
	if code := adminCall(t, hs.URL, "PUT", "/faults", `{"fixed_msg_id":"12"}`, nil); code != 400 {
		t.Fatalf("PUT /faults with a bad fixed_msg_id: %d", code)
	}
	c := loginRaw(t, s, cmpp.V30)
	var reps []cmpp.MsgID
	for _, dest := range []string{"13800138000", "13900139000"} {
		resp, ds := c.submit(reportSubmit(dest))
		if resp.Result != 0 || resp.MsgID != 0 {
			t.Fatalf("SUBMIT_RESP %+v, want Msg_Id 0", resp)
		}
		for _, d := range ds {
			r, _ := d.Report()
			reps = append(reps, r.MsgID)
		}
	}
	ds, _ := c.recvDelivers(2-len(reps), true)
	for _, d := range ds {
		r, err := d.Report()
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, r.MsgID)
	}
	if len(reps) != 2 || reps[0] != 0 || reps[1] != 0 {
		t.Fatalf("report Msg_Ids %v, want both 0", reps)
	}
	for _, g := range s.Received() {
		if g.MsgID != 0 {
			t.Fatalf("recorded Msg_Id %s", g.MsgID)
		}
	}
	if code := adminCall(t, hs.URL, "PUT", "/faults", `{}`, &f); code != 200 || f.FixedMsgID != "" {
		t.Fatalf("clear faults: %d %+v", code, f)
	}
	if resp, _ := c.submit(testSubmit()); resp.MsgID == 0 {
		t.Fatal("Msg_Id still 0 after clearing the fault")
	}
}

// The failure-share knobs: at ratio 1 every SUBMIT is refused with
// RatioResult, every report fails or none is sent; at 0 nothing changes.
func TestFaultRatios(t *testing.T) {
	s := newTestServer(t, Config{ReportDelay: time.Millisecond})
	c := loginRaw(t, s, cmpp.V30)

	s.SetFaults(Faults{ResultRatio: 1, RatioResult: 9})
	if resp, _ := c.submit(reportSubmit()); resp.Result != 9 {
		t.Fatalf("ResultRatio 1: Result %d, want 9", resp.Result)
	}
	s.SetFaults(Faults{ResultRatio: 1}) // no RatioResult: no effect
	if resp, _ := c.submit(testSubmit()); resp.Result != 0 {
		t.Fatalf("ResultRatio without RatioResult: Result %d, want 0", resp.Result)
	}

	s.SetFaults(Faults{FailReportRatio: 1})
	if resp, _ := c.submit(reportSubmit("13800138000")); resp.Result != 0 {
		t.Fatalf("Result %d", resp.Result)
	}
	ds, _ := c.recvDelivers(1, true)
	if r, err := ds[0].Report(); err != nil || r.Stat != "UNDELIV" {
		t.Fatalf("FailReportRatio 1: report %+v %v, want UNDELIV", r, err)
	}

	s.SetFaults(Faults{NoReportRatio: 1})
	if resp, _ := c.submit(reportSubmit("13800138000")); resp.Result != 0 {
		t.Fatalf("Result %d", resp.Result)
	}
	c.nextIsActiveTestResp() // no report came before it
	if got := s.Counts()[testSPID]; got.ReportsPending != 0 || got.Rejected != 1 {
		t.Fatalf("counts %+v", got)
	}

	d := faultsDocOf(Faults{ResultRatio: 0.25, RatioResult: 10, NoReportRatio: 0.5, FailReportRatio: 0.75})
	f, err := d.Faults()
	if err != nil || f.ResultRatio != 0.25 || f.RatioResult != 10 || f.NoReportRatio != 0.5 || f.FailReportRatio != 0.75 {
		t.Fatalf("doc round trip %+v %v", f, err)
	}
	if _, err := (FaultsDoc{NoReportRatio: 2}).Faults(); err == nil {
		t.Fatal("no_report_ratio 2 accepted")
	}
}
