package store

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smsbridge/smsbridge/cmpp"
)

// cmppBase is the SUBMIT_RESP Msg_Id of the test's CMPP requests.
const cmppBase = "1206101500000900100010"

// cmppRequest is a CMPP request of R recipients, one segment, reports on.
func (f *fixture) cmppRequest(id string, R int, report bool) NewRequest {
	req := f.request(id, R, 1)
	req.CallbackURL = ""
	req.CMPP = &CMPPOrigin{Account: "910001", MsgID: cmppBase, SrcID: "1065800001|9", ServiceID: "svc|1", Report: report}
	req.PkTotal, req.PkNumber = 3, 2
	req.ValidTime, req.AtTime = "251122101500032+", "251122100000032+"
	return req
}

// leaseAll leases every ready entry of the test account in f.ch.
func (f *fixture) leaseAll() map[string]CMPPDeliver {
	f.t.Helper()
	ds, _, err := f.st.LeaseCMPPDelivers(f.ctx, f.ch, "910001", "r1", 1000, time.Minute, 72*time.Hour)
	if err != nil {
		f.t.Fatalf("LeaseCMPPDelivers: %v", err)
	}
	m := make(map[string]CMPPDeliver, len(ds))
	for _, d := range ds {
		if _, dup := m[d.ID]; dup {
			f.t.Fatalf("entry %s leased twice in one call", d.ID)
		}
		m[d.ID] = d
	}
	return m
}

func recipientMsgID(k int) string {
	m, _ := cmpp.ParseMsgID(cmppBase)
	return m.AddSequence(k - 1).String()
}

// TestCMPPReportEntries: every final path queues exactly one report entry
// per recipient, with the Stat of the design's table, and publishes the
// account on the wake channel (miniredis included: PUBLISH in a script).
func TestCMPPReportEntries(t *testing.T) {
	backends(t, func(f *fixture) {
		sub := f.env.Client.Subscribe(f.ctx, f.st.keys.CMPPWake())
		defer sub.Close()
		if _, err := sub.Receive(f.ctx); err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		// r1 delivered, r2 failed by report, r3 refused (Result 13), r4
		// report timeout, r5 no SUBMIT_RESP.
		req := f.cmppRequest("cmpp-a", 5, true)
		if err := f.st.CreateRequest(f.ctx, req); err != nil {
			t.Fatal(err)
		}
		got := f.get("cmpp-a")
		if got.CMPP == nil || *got.CMPP != *req.CMPP {
			t.Fatalf("GetRequest CMPP = %+v, want %+v", got.CMPP, req.CMPP)
		}
		jobs := f.lease(10)
		if len(jobs) != 5 {
			t.Fatalf("leased %d jobs, want 5", len(jobs))
		}
		for _, j := range jobs {
			if j.PkTotal != 3 || j.PkNumber != 2 || j.ValidTime != req.ValidTime || j.AtTime != req.AtTime {
				t.Fatalf("job %s: Pk %d/%d times %q %q", j.ID, j.PkTotal, j.PkNumber, j.ValidTime, j.AtTime)
			}
		}
		outs := []SubmitOutcome{
			{Job: jobs[0].ID, MsgID: msgID(1)}, {Job: jobs[1].ID, MsgID: msgID(2)},
			{Job: jobs[2].ID, Result: 13}, {Job: jobs[3].ID, MsgID: msgID(4)}, {Job: jobs[4].ID, Unknown: true},
		}
		if _, err := f.st.Submitted(f.ctx, f.ch, outs); err != nil {
			t.Fatal(err)
		}
		f.reports(rep(msgID(1), "DELIVRD"), rep(msgID(2), "MB:0001"))
		if n, err := f.st.SweepReportWait(f.ctx, f.ch, f.clock.Now().Add(f.st.opts.ReportWait+time.Minute)); err != nil || n != 1 {
			t.Fatalf("SweepReportWait = %d, %v; want 1", n, err)
		}
		// A second request cancelled before it was sent, a third without
		// reports and an HTTP one: only the cancelled one adds an entry.
		for _, r := range []NewRequest{f.cmppRequest("cmpp-b", 1, true), f.cmppRequest("cmpp-c", 1, false), f.request("http-d", 1, 1)} {
			if err := f.st.CreateRequest(f.ctx, r); err != nil {
				t.Fatal(err)
			}
			if _, err := f.st.CancelRequest(f.ctx, r.ID); err != nil {
				t.Fatal(err)
			}
		}
		f.lease(10) // pops the cancelled jobs: final 'cancelled'
		h := f.env.HGetAll(t, f.st.keys.Request(f.ch, "http-d"))
		for _, k := range []string{"cm", "cq", "pt", "pn", "vt", "at"} {
			if _, ok := h[k]; ok {
				t.Fatalf("HTTP request has CMPP field %q", k)
			}
		}
		if _, ok := f.env.HGetAll(t, f.st.keys.Request(f.ch, "cmpp-c"))["cq"]; ok {
			t.Fatal("request without reports has cq")
		}

		want := map[string]string{
			"cmpp-a:1": "DELIVRD", "cmpp-a:2": "MB:0001", "cmpp-a:3": "RS:0013", "cmpp-a:4": "UNKNOWN",
			"cmpp-a:5": "UNKNOWN", "cmpp-b:1": "CANCELD",
		}
		es := f.leaseAll()
		if len(es) != len(want) {
			t.Fatalf("leased %d entries %v, want %d", len(es), es, len(want))
		}
		for id, stat := range want {
			d, ok := es[id]
			if !ok {
				t.Fatalf("no entry %s", id)
			}
			k := int(id[len(id)-1] - '0')
			if !d.Report || d.Stat != stat || d.MsgID != recipientMsgID(k) || d.Channel != f.ch ||
				d.DestID != "1065800001|9" || d.ServiceID != "svc|1" || d.Terminal != fmt.Sprintf("1380013%04d", k) {
				t.Fatalf("entry %s = %+v, want Stat %s, MsgID %s", id, d, stat, recipientMsgID(k))
			}
			if d.SubmitTime.IsZero() || d.DoneTime.IsZero() || d.EnqueuedAt.IsZero() {
				t.Fatalf("entry %s: times %+v", id, d)
			}
		}
		done := time.Date(2025, 11, 22, 10, 11, 0, 0, CMPPTimeZone)
		if d := es["cmpp-a:1"]; !d.DoneTime.Equal(done) || !d.SubmitTime.Equal(f.clock.Now()) {
			t.Fatalf("delivered entry times: submit %v done %v, want %v, %v", d.SubmitTime, d.DoneTime, f.clock.Now(), done)
		}
		if len(f.leaseAll()) != 0 {
			t.Fatal("entries leased twice")
		}
		// One PUBLISH per account per script call: the wake arrives.
		msg, err := sub.ReceiveMessage(f.ctx)
		if err != nil || msg.Payload != "910001" {
			t.Fatalf("wake = %v, %v", msg, err)
		}
	})
}

// TestCMPPReportOtherPaths: channel removed (FailQueued), worker lost
// (Recover) and a request moved to another channel before it was sent.
func TestCMPPReportOtherPaths(t *testing.T) {
	backends(t, func(f *fixture) {
		if err := f.st.CreateRequest(f.ctx, f.cmppRequest("cmpp-f", 2, true)); err != nil {
			t.Fatal(err)
		}
		if n, err := f.st.FailQueued(f.ctx, f.ch, ErrCodeChannelRemoved); err != nil || n != 2 {
			t.Fatalf("FailQueued = %d, %v", n, err)
		}
		es := f.leaseAll()
		if len(es) != 2 || es["cmpp-f:1"].Stat != "UNDELIV" || es["cmpp-f:2"].Stat != "UNDELIV" {
			t.Fatalf("FailQueued entries %+v", es)
		}

		// Moved: the CMPP meta follows the request, the report is queued
		// on the target channel.
		if err := f.st.CreateRequest(f.ctx, f.cmppRequest("cmpp-m", 1, true)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.MoveQueued(f.ctx, f.ch, "cm2"); err != nil {
			t.Fatal(err)
		}
		f.ch = "cm2"
		if g := f.get("cmpp-m"); g.Channel != "cm2" || g.CMPP == nil || g.CMPP.Account != "910001" {
			t.Fatalf("moved request %+v", g)
		}
		jobs := f.lease(5)
		if len(jobs) != 1 || jobs[0].PkTotal != 3 || jobs[0].ValidTime == "" {
			t.Fatalf("moved jobs %+v", jobs)
		}
		// Worker lost: the lease expires more than MaxRecoveries times.
		for i := 0; i <= f.st.opts.MaxRecoveries; i++ {
			f.clock.Advance(f.st.opts.LeaseTTL + time.Second)
			if _, err := f.st.Recover(f.ctx, f.ch); err != nil {
				t.Fatal(err)
			}
			f.lease(5)
		}
		es = f.leaseAll()
		if len(es) != 1 || es["cmpp-m:1"].Stat != "UNKNOWN" || es["cmpp-m:1"].Channel != "cm2" {
			t.Fatalf("worker lost entries %+v", es)
		}
		if g := f.get("cmpp-m"); g.Recipients[0].ErrorCode != ErrCodeWorkerLost {
			t.Fatalf("moved request error %q", g.Recipients[0].ErrorCode)
		}
	})
}

// TestCMPPDeliverQueue: MO dedup, lease order and limit, ack, release,
// lease expiry, retention.
func TestCMPPDeliverQueue(t *testing.T) {
	backends(t, func(f *fixture) {
		const acct = "910001"
		mo := CMPPDeliver{Terminal: "13800138000", DestID: "106580000123", ServiceID: "s|x", LinkID: "",
			MsgFmt: 8, TPPID: 1, TPUDHI: 1, Content: []byte{5, 0, 3, 9, 2, 1, 0, '|', 0xff}}
		for i := 1; i <= 4; i++ {
			dup, err := f.st.PushCMPPMO(f.ctx, f.ch, acct, msgID(i), mo)
			if err != nil || dup {
				t.Fatalf("PushCMPPMO %d = %v, %v", i, dup, err)
			}
			f.clock.Advance(time.Millisecond)
		}
		if dup, err := f.st.PushCMPPMO(f.ctx, f.ch, acct, msgID(2), mo); err != nil || !dup {
			t.Fatalf("PushCMPPMO resend = %v, %v; want dup", dup, err)
		}
		lease := func(max int) []CMPPDeliver {
			t.Helper()
			ds, exp, err := f.st.LeaseCMPPDelivers(f.ctx, f.ch, acct, "r1", max, time.Minute, time.Hour)
			if err != nil || exp != 0 {
				t.Fatalf("LeaseCMPPDelivers = %v, %d, %v", ds, exp, err)
			}
			return ds
		}
		waiting := func(ready, leased int64) {
			t.Helper()
			r, l, err := f.st.CMPPWaiting(f.ctx, f.ch, acct)
			if err != nil || r != ready || l != leased {
				t.Fatalf("CMPPWaiting = %d, %d, %v; want %d, %d", r, l, err, ready, leased)
			}
		}
		ds := lease(2)
		if len(ds) != 2 || ds[0].ID != "mo:"+msgID(1) || ds[1].ID != "mo:"+msgID(2) {
			t.Fatalf("lease 2 = %+v", ds)
		}
		d := ds[0]
		if d.Report || d.Terminal != mo.Terminal || d.DestID != mo.DestID || d.ServiceID != mo.ServiceID ||
			d.MsgFmt != 8 || d.TPPID != 1 || d.TPUDHI != 1 || string(d.Content) != string(mo.Content) || d.Channel != f.ch {
			t.Fatalf("MO entry %+v", d)
		}
		waiting(2, 2)
		if err := f.st.AckCMPPDelivers(f.ctx, f.ch, acct, []string{ds[0].ID}); err != nil {
			t.Fatal(err)
		}
		if err := f.st.ReleaseCMPPDelivers(f.ctx, f.ch, acct, []string{ds[1].ID}); err != nil {
			t.Fatal(err)
		}
		waiting(3, 0)
		// Released: back in its place, before 3 and 4.
		ds = lease(10)
		if len(ds) != 3 || ds[0].ID != "mo:"+msgID(2) || ds[2].ID != "mo:"+msgID(4) {
			t.Fatalf("after release: %+v", ds)
		}
		// Expired leases come back, in enqueue order.
		if len(lease(10)) != 0 {
			t.Fatal("leased entries leased again before expiry")
		}
		f.clock.Advance(time.Minute + time.Millisecond)
		ds = lease(1)
		if len(ds) != 1 || ds[0].ID != "mo:"+msgID(2) {
			t.Fatalf("after expiry: %+v", ds)
		}
		waiting(2, 1)
		// Retention: the two ready ones and the leased one (once its lease
		// is over) are older than an hour: dropped and counted.
		f.clock.Advance(time.Hour)
		ds, exp, err := f.st.LeaseCMPPDelivers(f.ctx, f.ch, acct, "r1", 10, time.Minute, time.Hour)
		if err != nil || len(ds) != 0 || exp != 3 {
			t.Fatalf("after retention: %v, expired %d, %v; want 3 expired", ds, exp, err)
		}
		waiting(0, 0)
		if f.env.Exists(t, f.st.keys.CMPPEntries(f.ch, acct)) {
			t.Fatal("payloads left after retention")
		}
	})
}

// TestLinkSlots: concurrent takers never exceed max; slots expire; renew
// reports lost slots; release frees.
func TestLinkSlots(t *testing.T) {
	backends(t, func(f *fixture) {
		const scope, max = "cmpp:910001", 3
		res := make(chan bool, 20)
		for i := range 20 {
			go func() {
				ok, err := f.st.TakeLinkSlot(f.ctx, scope, fmt.Sprintf("link-%d", i), max, 30*time.Second)
				if err != nil {
					t.Error(err)
				}
				res <- ok
			}()
		}
		var held []string
		n := 0
		for range 20 {
			if <-res {
				n++
			}
		}
		if n != max {
			t.Fatalf("%d slots taken, want %d", n, max)
		}
		ids, err := f.env.Client.ZRange(f.ctx, f.st.keys.LinkSlots(scope), 0, -1).Result()
		if err != nil || len(ids) != max {
			t.Fatalf("slots %v, %v", ids, err)
		}
		held = ids
		if ok, _ := f.st.TakeLinkSlot(f.ctx, scope, held[0], max, 30*time.Second); !ok {
			t.Fatal("holder refused its own slot")
		}
		if err := f.st.ReleaseLinkSlot(f.ctx, scope, held[0]); err != nil {
			t.Fatal(err)
		}
		if ok, _ := f.st.TakeLinkSlot(f.ctx, scope, "new", max, 30*time.Second); !ok {
			t.Fatal("released slot not free")
		}
		// held[1] is renewed, held[2] and "new" are not: they expire.
		f.clock.Advance(20 * time.Second)
		lost, err := f.st.RenewLinkSlots(f.ctx, scope, []string{held[1]}, 30*time.Second)
		if err != nil || len(lost) != 0 {
			t.Fatalf("renew = %v, %v", lost, err)
		}
		f.clock.Advance(15 * time.Second)
		lost, err = f.st.RenewLinkSlots(f.ctx, scope, []string{held[1], held[2]}, 30*time.Second)
		if err != nil || len(lost) != 1 || lost[0] != held[2] {
			t.Fatalf("renew after expiry = %v, %v; want [%s]", lost, err, held[2])
		}
		for i := range 2 {
			if ok, _ := f.st.TakeLinkSlot(f.ctx, scope, fmt.Sprintf("b-%d", i), max, 30*time.Second); !ok {
				t.Fatalf("expired slot %d not free", i)
			}
		}
		if ok, _ := f.st.TakeLinkSlot(f.ctx, scope, "b-3", max, 30*time.Second); ok {
			t.Fatal("slot beyond max")
		}
	})
}

// TestReserveMsgSeq: consecutive blocks, exhaustion at 65536, TTL.
func TestReserveMsgSeq(t *testing.T) {
	backends(t, func(f *fixture) {
		a, err1 := f.st.ReserveMsgSeq(f.ctx, "1206101500", 64)
		b, err2 := f.st.ReserveMsgSeq(f.ctx, "1206101500", 3)
		if err1 != nil || err2 != nil || a != 0 || b != 64 {
			t.Fatalf("reserve = %d, %d (%v, %v)", a, b, err1, err2)
		}
		if ttl := f.env.TTL(t, f.st.keys.MsgSeq("1206101500")); ttl < 2*time.Minute {
			t.Fatalf("TTL %v", ttl)
		}
		c, err := f.st.ReserveMsgSeq(f.ctx, "1206101500", 65536-67)
		if err != nil || c != 67 {
			t.Fatalf("reserve rest = %d, %v", c, err)
		}
		if _, err := f.st.ReserveMsgSeq(f.ctx, "1206101500", 1); !errors.Is(err, ErrSeqExhausted) {
			t.Fatalf("reserve beyond 65536: %v", err)
		}
		if d, err := f.st.ReserveMsgSeq(f.ctx, "1206101501", 1); err != nil || d != 0 {
			t.Fatalf("next second = %d, %v", d, err)
		}
	})
}

// TestLoginBlocked: max failures within the window block the address
// until the window after the last failure.
func TestLoginBlocked(t *testing.T) {
	backends(t, func(f *fixture) {
		const addr = "127.0.0.9"
		for i := range 5 {
			if b, _, err := f.st.LoginBlocked(f.ctx, addr, 5, time.Minute); err != nil || b {
				t.Fatalf("blocked after %d failures: %v", i, err)
			}
			if err := f.st.LoginFailed(f.ctx, addr, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		b, after, err := f.st.LoginBlocked(f.ctx, addr, 5, time.Minute)
		if err != nil || !b || after <= 0 || after > time.Minute {
			t.Fatalf("LoginBlocked = %v, %v, %v", b, after, err)
		}
		if b, _, _ := f.st.LoginBlocked(f.ctx, "::1", 5, time.Minute); b {
			t.Fatal("other address blocked")
		}
	})
}

// TestAllowCMPPSubmits: a second's worth at once, then none, then the
// rate.
func TestAllowCMPPSubmits(t *testing.T) {
	backends(t, func(f *fixture) {
		n, err := f.st.AllowCMPPSubmits(f.ctx, "910001", 100, 60)
		if err != nil || n != 60 {
			t.Fatalf("first batch = %d, %v", n, err)
		}
		if n, _ = f.st.AllowCMPPSubmits(f.ctx, "910001", 100, 60); n != 40 {
			t.Fatalf("second batch = %d, want 40", n)
		}
		if n, _ = f.st.AllowCMPPSubmits(f.ctx, "910001", 100, 5); n != 0 {
			t.Fatalf("over the rate = %d", n)
		}
		f.clock.Advance(100 * time.Millisecond)
		if n, _ = f.st.AllowCMPPSubmits(f.ctx, "910001", 100, 50); n != 10 {
			t.Fatalf("after 100 ms = %d, want 10", n)
		}
		if n, _ = f.st.AllowCMPPSubmits(f.ctx, "910001", 0, 50); n != 50 {
			t.Fatalf("unlimited = %d", n)
		}
	})
}

// TestCreateRequests: a batch with good, invalid and duplicate requests
// gets CreateRequest's outcome for each; the good ones are stored.
func TestCreateRequests(t *testing.T) {
	backends(t, func(f *fixture) {
		f.create("dup", 1, 1)
		bad := f.cmppRequest("bad", 1, true)
		bad.PkNumber = 5
		reqs := []NewRequest{f.cmppRequest("g1", 2, true), bad, f.request("dup", 1, 1), f.request("", 1, 1),
			f.cmppRequest("g2", 1, false), f.request("g3", 3, 2)}
		errs := f.st.CreateRequests(f.ctx, reqs)
		want := []error{nil, ErrInvalid, ErrExists, ErrInvalid, nil, nil}
		for i, e := range errs {
			if (want[i] == nil) != (e == nil) || (want[i] != nil && !errors.Is(e, want[i])) {
				t.Fatalf("errs[%d] = %v, want %v", i, e, want[i])
			}
		}
		for _, id := range []string{"g1", "g2", "g3"} {
			g := f.get(id)
			if (id != "g3") != (g.CMPP != nil) {
				t.Fatalf("%s CMPP %+v", id, g.CMPP)
			}
		}
		if _, err := f.st.GetRequest(f.ctx, "bad"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("invalid request stored: %v", err)
		}
		if jobs := f.lease(100); len(jobs) != 1+2+1+6 {
			t.Fatalf("leased %d jobs, want 10", len(jobs))
		}
	})
}

// TestCMPPEntryDecode: malformed payloads are errors, not panics.
func TestCMPPEntryDecode(t *testing.T) {
	for _, p := range []string{"", "R|", "R|1|d|||||||1|", "M|1|8|0|0|3:ab", "X|1", "R|1|z||||||x|1|00:0:0:0:",
		"M|1|8|0|0|0:0:0:0:0:x", "R|1|d||||||x|0|10:0:0:0:0:"} {
		if _, err := decodeCMPPEntry("e", p); err == nil {
			t.Errorf("decodeCMPPEntry(%q) accepted", p)
		}
	}
	o := &CMPPOrigin{Account: "a:1", MsgID: "m|2", SrcID: "", ServiceID: "12:3", Report: true}
	if got, err := decodeOrigin(encodeOrigin(o)); err != nil || *got != *o {
		t.Fatalf("origin round trip %+v, %v", got, err)
	}
	if !strings.HasPrefix(encodeOrigin(o), "1") {
		t.Fatal("report flag not first")
	}
}

// TestCreateRequestsGroups: a batch over two channels, larger than one
// script call's group, is stored whole, in order per tenant queue.
func TestCreateRequestsGroups(t *testing.T) {
	backends(t, func(f *fixture) {
		var reqs []NewRequest
		for i := range 150 {
			r := f.cmppRequest(fmt.Sprintf("g%03d", i), 1, true)
			if i%3 == 0 {
				r.Channel = "cm2"
			}
			reqs = append(reqs, r)
		}
		for i, err := range f.st.CreateRequests(f.ctx, reqs) {
			if err != nil {
				t.Fatalf("errs[%d] = %v", i, err)
			}
		}
		for _, ch := range []string{"cm1", "cm2"} {
			f.ch = ch
			jobs := f.lease(200)
			want := 100
			if ch == "cm2" {
				want = 50
			}
			if len(jobs) != want {
				t.Fatalf("%s: leased %d, want %d", ch, len(jobs), want)
			}
			for k := 1; k < len(jobs); k++ {
				if jobs[k].RequestID <= jobs[k-1].RequestID {
					t.Fatalf("%s: job order %s after %s", ch, jobs[k].RequestID, jobs[k-1].RequestID)
				}
			}
		}
		d := Day(f.clock.Now(), 0)
		u, err := f.st.Usage(f.ctx, []string{"cm1", "cm2"}, "acme", d, d)
		if err != nil || len(u) != 1 || u[0].Accepted != 150 {
			t.Fatalf("usage %+v, %v; want 150 accepted", u, err)
		}
	})
}
